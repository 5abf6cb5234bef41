"""Admin screens of designs, revisions and reports."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_readonly import ReadOnlyAdmin
from marketplace.designs.models import (
    Design,
    DesignDownload,
    DesignReport,
    DesignRevision,
    NdaAcceptance,
)


class DesignRevisionInline(admin.TabularInline):
    model = DesignRevision
    extra = 0
    fields = ["number", "original_name", "format", "unit", "status", "uploaded_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "confidential", "created_at"]
    list_filter = ["confidential"]
    search_fields = ["name", "organization__name"]
    filter_horizontal = ["required_certifications", "allowed_workshops"]
    readonly_fields = ["nda_hash", "confidential_since"]
    inlines = [DesignRevisionInline]
    list_select_related = ["organization"]


@admin.register(DesignRevision)
class DesignRevisionAdmin(admin.ModelAdmin):
    list_display = ["design", "number", "format", "status", "size_bytes", "uploaded_at"]
    list_filter = [
        "status",
        "format",
        "unit",
        ("findings_override_reason", admin.EmptyFieldListFilter),
    ]
    search_fields = ["design__name", "original_name", "sha256"]
    readonly_fields = [
        "sha256",
        "analysis",
        "error_code",
        "error_message",
        "findings_overridden_by",
        "findings_overridden_at",
    ]


@admin.register(DesignReport)
class DesignReportAdmin(admin.ModelAdmin):
    list_display = ["design", "kind", "status", "reporter", "created_at", "decided_at"]
    list_filter = ["kind", "status"]


@admin.register(DesignDownload)
class DesignDownloadAdmin(ReadOnlyAdmin):
    """The access log is evidence: read-only, never edited or added by hand."""

    list_display = ["at", "kind", "revision", "user", "organization"]
    list_filter = ["kind", "at"]
    search_fields = ["revision__design__name", "user__email", "organization__name"]
    list_select_related = ["revision__design", "user", "organization"]
    date_hierarchy = "at"


@admin.register(NdaAcceptance)
class NdaAcceptanceAdmin(ReadOnlyAdmin):
    """Who accepted which NDA text for which workshop: evidence, read-only."""

    list_display = ["accepted_at", "design", "organization", "user", "nda_hash"]
    search_fields = ["design__name", "organization__name", "user__email", "nda_hash"]
    list_select_related = ["design", "organization", "user"]
    date_hierarchy = "accepted_at"
