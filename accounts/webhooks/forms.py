from django import forms

from accounts.webhooks.events import EVENT_TYPES


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="URL",
        help_text="Where your system listens, e.g. https://erp.example.com/hooks/cloud-factory.",
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {meaning}") for name, meaning in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        label="Events",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Enabled")
