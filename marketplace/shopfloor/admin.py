"""Admin: device keys (issue one acting as a workshop member, revoke), events, feeds."""

from django import forms
from django.contrib import admin, messages

from accounts.admin_readonly import ReadOnlyAdmin
from accounts.models import User
from accounts.selectors import is_member_of
from marketplace.errors import DomainError
from marketplace.shopfloor.models import DeviceKey, MachineFeed, ProcessedEvent
from marketplace.shopfloor.services import device_key_issue, device_key_revoke


class DeviceKeyIssueForm(forms.ModelForm):
    created_by = forms.ModelChoiceField(
        queryset=User.objects.all(), label="Acts as", help_text="A member of the workshop."
    )

    class Meta:
        model = DeviceKey
        fields = ["workshop", "name", "created_by"]

    def clean(self):
        data = super().clean()
        workshop, user = data.get("workshop"), data.get("created_by")
        if (
            workshop
            and user
            and not is_member_of(user=user, organization_ids=[workshop.organization_id])
        ):
            self.add_error("created_by", f"{user} is not a member of {workshop}.")
        return data


@admin.register(DeviceKey)
class DeviceKeyAdmin(admin.ModelAdmin):
    list_display = [
        "key_id",
        "name",
        "workshop",
        "created_by",
        "created_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    list_select_related = ["workshop__organization", "created_by"]
    search_fields = ["key_id", "name", "workshop__organization__name"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = DeviceKeyIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "workshop",
            "key_id",
            "name",
            "salt",
            "secret_digest",
            "created_by",
            "created_at",
            "revoked_at",
            "last_used_at",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            key, secret = device_key_issue(
                workshop=form.cleaned_data["workshop"],
                name=form.cleaned_data["name"],
                acting_user=form.cleaned_data["created_by"],
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = key.pk
        self.message_user(
            request,
            f"Key {key.key_id} issued. Its secret, shown this once: {secret}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset.select_related("workshop__organization"):
            device_key_revoke(user=None, key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    """Events already applied, kept so a repeat is ignored: deleting one would replay it."""

    list_display = ["event_id", "kind", "machine", "outcome", "machine_time", "received_at"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["machine__workshop__organization"]
    search_fields = ["event_id"]


@admin.register(MachineFeed)
class MachineFeedAdmin(admin.ModelAdmin):
    list_display = [
        "machine",
        "last_seen_at",
        "silent_after_s",
        "down_when_silent",
        "silenced_down",
    ]
    list_select_related = ["machine__workshop__organization"]
    readonly_fields = [
        "machine",
        "last_seen_at",
        "status_at",
        "progress_at",
        "counters",
        "counters_at",
        "silenced_down",
    ]
