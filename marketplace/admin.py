from django.contrib import admin

from marketplace.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Certification,
    Design,
    DesignReport,
    DesignRevision,
    Finish,
    Job,
    Machine,
    MachineStatusChange,
    Material,
    Message,
    Order,
    OrderEvent,
    Process,
    QuoteLine,
    QuoteOption,
    QuoteRequest,
    Review,
    Shipment,
    WeeklyAvailability,
    Workshop,
    WorkshopPhoto,
)


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "family", "rate_unit", "typical_tolerance_mm", "min_wall_mm"]
    list_filter = ["family"]
    search_fields = ["name", "code"]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "family", "density_g_cm3", "price_per_kg_minor", "currency"]
    list_filter = ["family", "porous"]
    search_fields = ["name", "code"]
    filter_horizontal = ["processes"]


@admin.register(Finish)
class FinishAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "process"]
    filter_horizontal = ["materials"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


class MachineInline(admin.TabularInline):
    model = Machine
    extra = 0
    fields = ["name", "process", "status", "hourly_rate_minor"]
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "country", "verification_status", "rating"]
    list_filter = ["verification_status", "country", "certifications"]
    search_fields = ["organization__name", "city"]
    filter_horizontal = ["certifications"]
    inlines = [MachineInline]
    list_select_related = ["organization"]


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0


class CapacityExceptionInline(admin.TabularInline):
    model = CapacityException
    extra = 0


@admin.register(Machine)
class MachineAdmin(admin.ModelAdmin):
    list_display = ["name", "workshop", "process", "status", "hourly_rate_minor", "throughput"]
    list_filter = ["status", "process"]
    search_fields = ["name", "workshop__organization__name"]
    filter_horizontal = ["materials"]
    inlines = [WeeklyAvailabilityInline, CapacityExceptionInline]
    list_select_related = ["workshop__organization", "process"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "countries", "base_fee_minor", "per_100km_minor", "speed_km_per_day"]


class DesignRevisionInline(admin.TabularInline):
    model = DesignRevision
    extra = 0
    fields = ["number", "original_name", "format", "unit", "status", "uploaded_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created_at"]
    search_fields = ["name", "organization__name"]
    inlines = [DesignRevisionInline]
    list_select_related = ["organization"]


@admin.register(DesignRevision)
class DesignRevisionAdmin(admin.ModelAdmin):
    list_display = ["design", "number", "format", "status", "size_bytes", "uploaded_at"]
    list_filter = ["status", "format", "unit"]
    search_fields = ["design__name", "original_name", "sha256"]
    readonly_fields = ["sha256", "analysis", "error_code", "error_message"]


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    raw_id_fields = ["revision"]


class QuoteOptionInline(admin.TabularInline):
    model = QuoteOption
    extra = 0
    fields = ["rank", "labels", "price_minor", "currency", "delivery_at", "co2_g"]
    readonly_fields = fields


@admin.register(QuoteRequest)
class QuoteRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "status", "created_at", "valid_until"]
    list_filter = ["status"]
    inlines = [QuoteLineInline, QuoteOptionInline]


class JobInline(admin.TabularInline):
    model = Job
    extra = 0
    fields = ["name", "workshop", "machine", "status", "planned_start", "planned_end", "cost_minor"]
    readonly_fields = fields
    show_change_link = True


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["from_status", "to_status", "kind", "actor", "role", "reason", "at"]
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read mostly: statuses change only through the services (and so the audit trail)."""

    list_display = ["reference", "organization", "status", "price_minor", "currency", "placed_at"]
    list_filter = ["status"]
    search_fields = ["reference", "organization__name"]
    readonly_fields = ["status", "reference", "option", "price_minor", "cost_minor"]
    inlines = [JobInline, OrderEventInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "workshop", "status", "planned_start", "planned_end"]
    list_filter = ["status", "process"]
    search_fields = ["order__reference", "workshop__organization__name"]
    readonly_fields = ["status", "booking"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "origin", "destination", "carrier", "status", "tracking_number"]
    list_filter = ["status", "carrier"]
    readonly_fields = ["status"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["order", "author", "organization", "created_at"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["order", "workshop", "rating", "created_at"]
    list_filter = ["rating"]


@admin.register(CapacityBooking)
class CapacityBookingAdmin(admin.ModelAdmin):
    list_display = ["machine", "starts_at", "ends_at", "reference"]
    search_fields = ["reference", "machine__name"]


@admin.register(WorkshopPhoto)
class WorkshopPhotoAdmin(admin.ModelAdmin):
    list_display = ["workshop", "caption", "uploaded_at"]


@admin.register(MachineStatusChange)
class MachineStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["machine", "previous_status", "status", "changed_by", "changed_at"]
    readonly_fields = ["machine", "previous_status", "status", "note", "until", "changed_by"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["machine", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    list_select_related = ["machine__workshop__organization"]


@admin.register(CapacityException)
class CapacityExceptionAdmin(admin.ModelAdmin):
    list_display = ["machine", "kind", "starts_at", "ends_at", "note"]
    list_filter = ["kind"]


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only: it records what the services did."""

    list_display = ["order", "kind", "from_status", "to_status", "role", "actor", "at"]
    list_filter = ["kind", "role"]
    readonly_fields = [f.name for f in OrderEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QuoteLine)
class QuoteLineAdmin(admin.ModelAdmin):
    list_display = ["request", "revision", "material", "finish", "quantity", "tolerance"]
    raw_id_fields = ["revision"]


@admin.register(QuoteOption)
class QuoteOptionAdmin(admin.ModelAdmin):
    list_display = ["request", "rank", "labels", "price_minor", "currency", "delivery_at"]
    readonly_fields = ["route"]


@admin.register(DesignReport)
class DesignReportAdmin(admin.ModelAdmin):
    list_display = ["design", "kind", "status", "reporter", "created_at", "decided_at"]
    list_filter = ["kind", "status"]
