"""Admin screens of quotes, orders, jobs, shipments, messages and reviews."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_readonly import ReadOnlyAdmin
from marketplace.orders.models import (
    DisputeDecision,
    Job,
    Message,
    Order,
    OrderEvent,
    QuoteLine,
    QuoteOption,
    QuoteRequest,
    Review,
    Shipment,
)


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

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    """The audit trail is read-only: it records what the services did."""

    list_display = ["order", "kind", "from_status", "to_status", "role", "actor", "at"]
    list_filter = ["kind", "role"]
    readonly_fields = [f.name for f in OrderEvent._meta.fields]


@admin.register(QuoteLine)
class QuoteLineAdmin(admin.ModelAdmin):
    list_display = ["request", "revision", "material", "finish", "quantity", "tolerance"]
    raw_id_fields = ["revision"]


@admin.register(QuoteOption)
class QuoteOptionAdmin(admin.ModelAdmin):
    list_display = ["request", "rank", "labels", "price_minor", "currency", "delivery_at"]
    readonly_fields = ["route"]


@admin.register(DisputeDecision)
class DisputeDecisionAdmin(ReadOnlyAdmin):
    """Decisions are made on the order page (they move money); the admin only reads them."""

    list_display = ("order", "outcome", "refund_minor", "currency", "decided_by", "decided_at")
    list_filter = ("outcome",)
    search_fields = ("order__reference", "explanation")
    readonly_fields = [f.name for f in DisputeDecision._meta.fields]
