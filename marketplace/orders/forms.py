"""The quote request form."""

from __future__ import annotations

from django import forms

from marketplace.network.models import (
    Finish,
    Material,
)
from marketplace.orders.models import QuoteRequest
from marketplace.orders.quotes import MAX_QUANTITY


class QuoteForm(forms.Form):
    """One row per chosen design, then where and by when."""

    ship_to_name = forms.CharField(max_length=200, label="Recipient")
    ship_to_address = forms.CharField(max_length=255, label="Street address")
    ship_to_city = forms.CharField(max_length=100, label="City")
    ship_to_country = forms.CharField(max_length=2, min_length=2, label="Country (ISO code)")
    ship_to_latitude = forms.DecimalField(min_value=-90, max_value=90, decimal_places=5)
    ship_to_longitude = forms.DecimalField(min_value=-180, max_value=180, decimal_places=5)
    due_at = forms.DateField(
        required=False,
        label="Needed by (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, revisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.revisions = list(revisions)
        materials = Material.objects.filter(processes__isnull=False).distinct()
        for revision in self.revisions:
            prefix = f"line_{revision.pk}"
            self.fields[f"{prefix}_material"] = forms.ModelChoiceField(
                materials, to_field_name="code", label="Material"
            )
            self.fields[f"{prefix}_finish"] = forms.ModelChoiceField(
                Finish.objects.all(),
                required=False,
                to_field_name="code",
                label="Finish",
                empty_label="No finish",
            )
            self.fields[f"{prefix}_quantity"] = forms.IntegerField(
                min_value=1, max_value=MAX_QUANTITY, initial=1, label="Quantity"
            )
            self.fields[f"{prefix}_tolerance"] = forms.ChoiceField(
                choices=QuoteRequest.Tolerance.choices, initial="standard", label="Tolerance"
            )

    def line_rows(self):
        return [
            (
                revision,
                self[f"line_{revision.pk}_material"],
                self[f"line_{revision.pk}_finish"],
                self[f"line_{revision.pk}_quantity"],
                self[f"line_{revision.pk}_tolerance"],
            )
            for revision in self.revisions
        ]

    def lines(self):
        from marketplace.orders.quotes import LineSpec

        data = self.cleaned_data
        return [
            LineSpec(
                revision=revision,
                material=data[f"line_{revision.pk}_material"],
                finish=data.get(f"line_{revision.pk}_finish"),
                quantity=data[f"line_{revision.pk}_quantity"],
                tolerance=data[f"line_{revision.pk}_tolerance"],
            )
            for revision in self.revisions
        ]

    def ship_to(self):
        from marketplace.orders.quotes import ShipTo

        data = self.cleaned_data
        return ShipTo(
            name=data["ship_to_name"],
            address=data["ship_to_address"],
            city=data["ship_to_city"],
            country=data["ship_to_country"].upper(),
            latitude=float(data["ship_to_latitude"]),
            longitude=float(data["ship_to_longitude"]),
        )

    def due(self):
        from datetime import UTC, datetime, time

        due = self.cleaned_data.get("due_at")
        return datetime.combine(due, time(17), tzinfo=UTC) if due else None
