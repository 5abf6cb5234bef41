"""Quality records for operators: inspections with their measurements, files, required
documents and the download log (read only: records change through the services)."""

from django.contrib import admin

from accounts.admin_readonly import ReadOnlyAdmin
from marketplace.quality.models import (
    QualityDownload,
    QualityFile,
    QualityMeasurement,
    QualityRecord,
    QualityRequirement,
)


class MeasurementInline(admin.TabularInline):
    model = QualityMeasurement
    extra = 0
    can_delete = False
    fields = ["name", "nominal_mm", "measured_mm", "tolerance_mm", "within_tolerance"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualityRecord)
class QualityRecordAdmin(ReadOnlyAdmin):
    list_display = ["job", "order", "outcome", "review", "recorded_at", "reviewed_at"]
    list_filter = ["outcome", "review"]
    search_fields = ["order__reference", "job__name", "job__workshop__name"]
    list_select_related = ["job__order", "job__workshop", "order"]
    inlines = [MeasurementInline]


@admin.register(QualityFile)
class QualityFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "kind", "order", "job", "content_type", "size_bytes"]
    list_filter = ["kind", "content_type"]
    search_fields = ["order__reference", "original_name"]
    list_select_related = ["order", "job__order", "job__workshop"]


@admin.register(QualityRequirement)
class QualityRequirementAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "requested_by", "requested_at"]
    list_filter = ["kind"]
    search_fields = ["order__reference"]
    list_select_related = ["order", "requested_by"]


@admin.register(QualityDownload)
class QualityDownloadAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "order", "file", "archive"]
    list_filter = ["archive"]
    search_fields = ["order__reference", "user__email"]
    list_select_related = ["order", "user", "file"]


@admin.register(QualityMeasurement)
class QualityMeasurementAdmin(ReadOnlyAdmin):
    list_display = [
        "record",
        "name",
        "nominal_mm",
        "measured_mm",
        "tolerance_mm",
        "within_tolerance",
    ]
    list_filter = ["within_tolerance"]
    search_fields = ["record__order__reference", "name"]
    list_select_related = ["record__job__order", "record__job__workshop"]
