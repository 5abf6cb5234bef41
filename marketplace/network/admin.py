"""Admin screens of the network: catalog, workshops, machines, capacity, carriers."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from accounts.admin_readonly import ReadOnlyAdmin
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    CarrierRate,
    Certification,
    Finish,
    Machine,
    MachineStatusChange,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
    WorkshopPhoto,
)
from matching.transport import RateBand, validate_rates


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


class CarrierRateFormSet(BaseInlineFormSet):
    """The tariff table as a whole: distinct bands, dearer with distance, pallets >= parcels."""

    def clean(self) -> None:
        super().clean()
        bands = [
            RateBand(
                float(form.cleaned_data["upto_km"]),
                form.cleaned_data["parcel_minor"],
                form.cleaned_data["pallet_minor"],
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and {"upto_km", "parcel_minor", "pallet_minor"} <= set(form.cleaned_data)
        ]
        problems = validate_rates(bands)
        if problems:
            raise ValidationError(problems)


class CarrierRateInline(admin.TabularInline):
    model = CarrierRate
    formset = CarrierRateFormSet
    extra = 1


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "countries", "parcel_max_kg", "pallet_max_kg", "speed_km_per_day"]
    inlines = [CarrierRateInline]


@admin.register(CapacityBooking)
class CapacityBookingAdmin(admin.ModelAdmin):
    list_display = ["machine", "starts_at", "ends_at", "reference"]
    search_fields = ["reference", "machine__name"]


@admin.register(WorkshopPhoto)
class WorkshopPhotoAdmin(admin.ModelAdmin):
    list_display = ["workshop", "caption", "uploaded_at"]


@admin.register(MachineStatusChange)
class MachineStatusChangeAdmin(ReadOnlyAdmin):
    """The machine's status history: appended by the status service, never edited."""

    list_display = ["machine", "previous_status", "status", "changed_by", "changed_at"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["machine", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    list_select_related = ["machine__workshop__organization"]


@admin.register(CapacityException)
class CapacityExceptionAdmin(admin.ModelAdmin):
    list_display = ["machine", "kind", "starts_at", "ends_at", "note"]
    list_filter = ["kind"]


@admin.register(CarrierRate)
class CarrierRateAdmin(admin.ModelAdmin):
    """Read here; edited as a whole table on its carrier's page, where it is validated."""

    list_display = ["carrier", "upto_km", "parcel_minor", "pallet_minor"]
    list_filter = ["carrier"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
