"""Admin screens for webhook endpoints and their delivery log (the secret is never shown)."""

from django.contrib import admin

from accounts.admin_readonly import ReadOnlyAdmin
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "organization", "is_active", "failing_since", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organization__name"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = ["failing_since", "created_by", "created_at", "updated_at"]
    autocomplete_fields = ["organization"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "is_manual"]
    search_fields = ["event_id", "endpoint__url", "endpoint__organization__name"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
