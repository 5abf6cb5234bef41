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


class _Catalog:
    """The catalog read once for every line: materials with their processes, finishes with
    their materials (3 queries)."""

    def __init__(self) -> None:
        self.materials = list(
            Material.objects.filter(processes__isnull=False)
            .distinct()
            .prefetch_related("processes")
            .order_by("family", "name")
        )
        self.finishes = list(Finish.objects.prefetch_related("materials").order_by("name"))

    def allowed_for(self, revision) -> tuple[list[int], list[int], str]:
        """Material and finish ids the revision's analysis leaves open, and a note naming what
        it left out: a material only made by processes that cannot make the part, a finish
        for none of the open materials."""
        refused = revision.processes_refused
        materials = [m for m in self.materials if {p.code for p in m.processes.all()} - refused]
        open_ids = {m.pk for m in materials}
        finishes = [f for f in self.finishes if any(m.pk in open_ids for m in f.materials.all())]
        dropped = [m.name for m in self.materials if m.pk not in open_ids]
        dropped_finishes = [f.name for f in self.finishes if f not in finishes]
        notes = []
        if dropped:
            notes.append(
                f"Left out, as no process that can make this part works them: {', '.join(dropped)}."
            )
        if dropped_finishes:
            notes.append(f"Finishes left out with them: {', '.join(dropped_finishes)}.")
        return list(open_ids), [f.pk for f in finishes], " ".join(notes)


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

    def __init__(self, *args, revisions=(), organization=None, initial_for=None, **kwargs):
        """``initial_for``: per design id, the material code and quantity to start from (the
        design page's "Quote this")."""
        super().__init__(*args, **kwargs)
        initial_for = initial_for or {}
        self.revisions = list(revisions)
        if organization is not None:
            self.fields["ship_to_saved"].queryset = Address.objects.filter(
                organization=organization, kind=Address.Kind.SHIPPING
            ).select_related("organization")
        catalog = _Catalog() if self.revisions else None
        self.left_out: dict[int, str] = {}
        for revision in self.revisions:
            prefix = f"line_{revision.pk}"
            materials, finishes, note = catalog.allowed_for(revision)
            if note:
                self.left_out[revision.pk] = note
            self.fields[f"{prefix}_material"] = forms.ModelChoiceField(
                Material.objects.filter(pk__in=materials),
                to_field_name="code",
                label="Material",
                initial=initial_for.get(revision.design_id, {}).get("material"),
            )
            self.fields[f"{prefix}_finish"] = forms.ModelChoiceField(
                Finish.objects.filter(pk__in=finishes),
                required=False,
                to_field_name="code",
                label="Finish",
                empty_label="No finish",
            )
            self.fields[f"{prefix}_quantity"] = forms.IntegerField(
                min_value=1,
                max_value=MAX_QUANTITY,
                initial=initial_for.get(revision.design_id, {}).get("quantity", 1),
                label="Quantity",
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
                self.left_out.get(revision.pk, ""),
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
