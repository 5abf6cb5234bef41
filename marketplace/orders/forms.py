"""The quote request form."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from accounts.models import Address
from accounts.places import PlaceNotFound, country_code, place_locate
from marketplace.network.models import (
    Finish,
    Material,
)
from marketplace.orders.models import QuoteRequest
from marketplace.orders.quotes import MAX_QUANTITY


class QuoteForm(forms.Form):
    """One row per chosen design, then where and by when."""

    ship_to_saved = forms.ModelChoiceField(
        Address.objects.none(),
        required=False,
        label="From the address book",
        empty_label="Another address (type it below)",
    )
    ship_to_name = forms.CharField(max_length=200, label="Recipient", required=False)
    ship_to_address = forms.CharField(max_length=255, label="Street address", required=False)
    ship_to_city = forms.CharField(max_length=100, label="City", required=False)
    ship_to_country = forms.CharField(max_length=2, label="Country (ISO code)", required=False)
    ship_to_latitude = forms.DecimalField(
        min_value=-90, max_value=90, decimal_places=5, required=False
    )
    ship_to_longitude = forms.DecimalField(
        min_value=-180, max_value=180, decimal_places=5, required=False
    )
    due_at = forms.DateField(
        required=False,
        label="Needed by (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, revisions=(), organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.revisions = list(revisions)
        if organization is not None:
            self.fields["ship_to_saved"].queryset = Address.objects.filter(
                organization=organization, kind=Address.Kind.SHIPPING
            ).select_related("organization")
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

    def clean(self):
        """A saved address, or a typed one located from its city when no coordinates are
        given; either way the quote gets the lines and the coordinates."""
        data = super().clean()
        saved = data.get("ship_to_saved")
        if saved is not None:
            data.update(
                ship_to_name=saved.company_name or saved.recipient or saved.organization.name,
                ship_to_address=f"{saved.street}, {saved.postcode}",
                ship_to_city=saved.city,
                ship_to_country=saved.country,
                ship_to_latitude=saved.latitude,
                ship_to_longitude=saved.longitude,
            )
            return data
        for name in ("ship_to_name", "ship_to_address", "ship_to_city", "ship_to_country"):
            if not data.get(name):
                self.add_error(name, "Needed unless you choose an address from the book.")
        if self.errors:
            return data
        try:
            data["ship_to_country"] = country_code(data["ship_to_country"])
        except PlaceNotFound as error:
            self.add_error("ship_to_country", str(error))
            return data
        if data.get("ship_to_latitude") is None or data.get("ship_to_longitude") is None:
            try:
                place = place_locate(city=data["ship_to_city"], country=data["ship_to_country"])
            except PlaceNotFound as error:
                self.add_error("ship_to_city", str(error))
                return data
            data["ship_to_latitude"] = Decimal(f"{place.latitude:.5f}")
            data["ship_to_longitude"] = Decimal(f"{place.longitude:.5f}")
        return data

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
