from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.admin_readonly import ReadOnlyAdmin
from accounts.models import (
    Address,
    BillingProfile,
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    OperatorAction,
    Organization,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organization__name"]
    readonly_fields = ["token"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "muted_kinds"]


@admin.register(OperatorAction)
class OperatorActionAdmin(ReadOnlyAdmin):
    """Read-only: the log is appended by operator services, never written by hand."""

    list_display = ["created_at", "actor_email", "action", "target_type", "target_label"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_email", "target_label", "target_id"]
    date_hierarchy = "created_at"


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["organization", "kind", "label", "city", "country", "located_as"]
    list_filter = ["kind", "country"]
    search_fields = ["organization__name", "city", "postcode", "street"]
    readonly_fields = ["latitude", "longitude", "located_as"]  # located by the service


from accounts.webhooks import admin as webhooks_admin  # noqa: E402, F401  (registers the screens)


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ["organization", "legal_name", "country", "vat_id", "updated_at"]
    search_fields = ["organization__name", "legal_name", "vat_id"]
    list_filter = ["country"]
    readonly_fields = ["organization", "updated_at", "updated_by"]
