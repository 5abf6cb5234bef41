"""Organizations' exports: who asked, how far the build got, what went wrong. Read only."""

from django.contrib import admin

from marketplace.exports.models import OrganizationExport


@admin.register(OrganizationExport)
class OrganizationExportAdmin(admin.ModelAdmin):
    list_display = ["organization", "status", "progress", "size_bytes", "created_at"]
    list_filter = ["status"]
    search_fields = ["organization__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
