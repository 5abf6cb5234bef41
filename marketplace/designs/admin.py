"""Admin screens of designs, revisions and reports."""

from __future__ import annotations

from django.contrib import admin

from marketplace.designs.models import Design, DesignReport, DesignRevision


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


@admin.register(DesignReport)
class DesignReportAdmin(admin.ModelAdmin):
    list_display = ["design", "kind", "status", "reporter", "created_at", "decided_at"]
    list_filter = ["kind", "status"]
