"""Forms of the operator console."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from marketplace.network.models import Machine, Workshop

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
OUTAGE_STATUSES = [
    (Machine.Status.DOWN, "Down (breakdown)"),
    (Machine.Status.MAINTENANCE, "In maintenance"),
]


class OutageForm(forms.Form):
    """A workshop (or some of its machines) to take down: previewed first, then confirmed.

    The same fields serve both steps, so what is confirmed is exactly what was previewed;
    the reason is only required to confirm (it is what the workshop and the history read).
    """

    workshop = forms.ModelChoiceField(
        Workshop.objects.select_related("organization").order_by("organization__name"),
        empty_label="Choose a workshop",
        error_messages={"invalid_choice": "There is no such workshop: choose one from the list."},
    )
    machines = forms.ModelMultipleChoiceField(
        Machine.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every machine of the workshop.",
        error_messages={"invalid_choice": "Machine %(value)s is not one of this workshop's."},
    )
    status = forms.ChoiceField(choices=OUTAGE_STATUSES, initial=Machine.Status.DOWN, required=False)
    until = forms.DateTimeField(
        required=False,
        widget=DATETIME_WIDGET,
        label="Until (UTC)",
        help_text="Empty: until someone brings the machines back.",
    )
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, confirming: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = confirming
        workshop_id = self.data.get("workshop") if self.is_bound else None
        if workshop_id and str(workshop_id).isdigit():
            self.fields["machines"].queryset = Machine.objects.filter(
                workshop_id=int(workshop_id)
            ).order_by("name")
            self.fields["machines"].label_from_instance = lambda machine: machine.name
        else:
            self.fields["machines"].queryset = Machine.objects.none()

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or Machine.Status.DOWN

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError("The end of the outage must lie in the future.")
        return until

    def machine_ids(self) -> list[int] | None:
        machines = self.cleaned_data.get("machines")
        return [m.pk for m in machines] if machines else None
