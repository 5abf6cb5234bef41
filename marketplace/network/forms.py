"""Forms of the network pages: workshop profile, machines, hours, closures, filters."""

from __future__ import annotations

from datetime import time

from django import forms

from marketplace.network.local_hours import is_time_zone
from marketplace.network.models import (
    CapacityException,
    Certification,
    Machine,
    Material,
    Process,
    Workshop,
)
from marketplace.network.selectors import NetworkFilter
from marketplace.network.services import MachineSpec, WorkshopProfile

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class WorkshopProfileForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    address = forms.CharField(max_length=255, required=False)
    city = forms.CharField(max_length=100)
    country = forms.CharField(
        max_length=2, min_length=2, help_text="Two-letter ISO code, e.g. DE, FR, NL."
    )
    latitude = forms.DecimalField(min_value=-90, max_value=90, decimal_places=5)
    longitude = forms.DecimalField(min_value=-180, max_value=180, decimal_places=5)
    min_lead_time_hours = forms.IntegerField(
        min_value=0, initial=24, help_text="Hours you need between accepting a job and starting it."
    )
    urgent_lead_time_hours = forms.IntegerField(
        min_value=0,
        required=False,
        label="Urgent lead time (hours)",
        help_text="Hours you need to start work taken over after another workshop's breakdown; "
        "leave empty if you take no urgent work.",
    )
    certifications = forms.ModelMultipleChoiceField(
        Certification.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    timezone = forms.CharField(
        max_length=64,
        required=False,
        help_text="IANA time zone of your opening hours, e.g. Europe/Berlin; empty: your "
        "country's.",
    )

    @classmethod
    def for_workshop(cls, workshop: Workshop | None, data=None) -> WorkshopProfileForm:
        initial = {}
        if workshop is not None:
            initial = {
                field: getattr(workshop, field)
                for field in (
                    "description",
                    "address",
                    "city",
                    "country",
                    "latitude",
                    "longitude",
                    "min_lead_time_hours",
                    "urgent_lead_time_hours",
                    "timezone",
                )
            }
            initial["certifications"] = list(workshop.certifications.all())
        return cls(data, initial=initial)

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].upper()
        if not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. DE.")
        return country

    def clean_timezone(self) -> str:
        zone = self.cleaned_data["timezone"].strip()
        if zone and not is_time_zone(zone):
            raise forms.ValidationError(f"{zone!r} is not a time zone: e.g. Europe/Berlin.")
        return zone

    def profile(self) -> WorkshopProfile:
        return WorkshopProfile(**self.cleaned_data)


class MachineForm(forms.Form):
    name = forms.CharField(max_length=100)
    process = forms.ModelChoiceField(Process.objects.all())
    materials = forms.ModelMultipleChoiceField(
        Material.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only materials the process takes; finishing and inspection need none.",
    )
    envelope_x_mm = forms.IntegerField(label="Envelope X (mm)", min_value=1)
    envelope_y_mm = forms.IntegerField(label="Envelope Y (mm)", min_value=1)
    envelope_z_mm = forms.IntegerField(label="Envelope Z (mm)", min_value=1)
    tolerance_mm = forms.DecimalField(label="Tolerance (mm)", min_value=0.001, decimal_places=3)
    hourly_rate = forms.DecimalField(label="Hourly rate (EUR)", min_value=0, decimal_places=2)
    setup_cost = forms.DecimalField(
        label="Setup cost per batch (EUR)", min_value=0, decimal_places=2
    )
    setup_minutes = forms.IntegerField(min_value=0)
    throughput = forms.DecimalField(
        min_value=0.001,
        decimal_places=3,
        help_text="In the process unit: cm³/h for printers, cm³/min for mills, mm/min for lasers.",
    )

    @classmethod
    def for_machine(cls, machine: Machine | None, data=None) -> MachineForm:
        initial = {}
        if machine is not None:
            initial = {
                "name": machine.name,
                "process": machine.process,
                "materials": list(machine.materials.all()),
                "envelope_x_mm": machine.envelope_x_mm,
                "envelope_y_mm": machine.envelope_y_mm,
                "envelope_z_mm": machine.envelope_z_mm,
                "tolerance_mm": machine.tolerance_mm,
                "hourly_rate": machine.hourly_rate_minor / 100,
                "setup_cost": machine.setup_cost_minor / 100,
                "setup_minutes": machine.setup_minutes,
                "throughput": machine.throughput,
            }
        return cls(data, initial=initial)

    def spec(self) -> MachineSpec:
        data = self.cleaned_data
        return MachineSpec(
            name=data["name"],
            process=data["process"],
            materials=list(data["materials"]),
            envelope_mm=(data["envelope_x_mm"], data["envelope_y_mm"], data["envelope_z_mm"]),
            tolerance_mm=data["tolerance_mm"],
            hourly_rate_minor=int(data["hourly_rate"] * 100),
            setup_cost_minor=int(data["setup_cost"] * 100),
            setup_minutes=data["setup_minutes"],
            throughput=data["throughput"],
        )


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class WeeklyHoursForm(forms.Form):
    """One opening per weekday: the common case on a shop floor, edited in one form."""

    force = forms.BooleanField(
        required=False, label="Save anyway and have booked jobs outside them re-planned"
    )

    def __init__(self, *args, machine: Machine | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        existing = {}
        if machine is not None:
            for slot in machine.weekly_hours.all():
                existing.setdefault(slot.weekday, slot)
        for day, name in enumerate(DAYS):
            slot = existing.get(day)
            self.fields[f"open_{day}"] = forms.BooleanField(
                label=name, required=False, initial=slot is not None
            )
            self.fields[f"start_{day}"] = forms.TimeField(
                required=False,
                initial=slot.start_time if slot else time(8),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"end_{day}"] = forms.TimeField(
                required=False,
                initial=slot.end_time if slot else time(17),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def rows(self):
        return [
            (DAYS[d], self[f"open_{d}"], self[f"start_{d}"], self[f"end_{d}"]) for d in range(7)
        ]

    def clean(self):
        data = super().clean()
        for day in range(7):
            if data.get(f"open_{day}") and not (
                data.get(f"start_{day}") and data.get(f"end_{day}")
            ):
                raise forms.ValidationError(f"Give opening and closing times for {DAYS[day]}.")
        return data

    def slots(self) -> list[tuple[int, time, time]]:
        data = self.cleaned_data
        return [
            (day, data[f"start_{day}"], data[f"end_{day}"])
            for day in range(7)
            if data.get(f"open_{day}")
        ]


class CapacityExceptionForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(widget=DATETIME_WIDGET)
    kind = forms.ChoiceField(choices=CapacityException.Kind.choices)
    note = forms.CharField(max_length=255, required=False)
    force = forms.BooleanField(
        required=False, label="Close anyway and have the booked jobs re-planned elsewhere"
    )


class MachineStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Machine.Status.choices)
    note = forms.CharField(max_length=255, required=False)
    until = forms.DateTimeField(required=False, widget=DATETIME_WIDGET)


class VerificationForm(forms.Form):
    status = forms.ChoiceField(choices=Workshop.Verification.choices)
    note = forms.CharField(max_length=500, required=False)


class WorkshopPhotoForm(forms.Form):
    image = forms.ImageField()
    caption = forms.CharField(max_length=200, required=False)

    MAX_BYTES = 5 * 1024 * 1024

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image.size > self.MAX_BYTES:
            raise forms.ValidationError("Photos may be at most 5 MB.")
        return image


class NetworkFilterForm(forms.Form):
    process = forms.ModelChoiceField(
        Process.objects.all(), required=False, to_field_name="code", empty_label="Every process"
    )
    material = forms.ModelChoiceField(
        Material.objects.all(), required=False, to_field_name="code", empty_label="Every material"
    )
    country = forms.CharField(max_length=2, required=False)
    certification = forms.ModelChoiceField(
        Certification.objects.all(),
        required=False,
        to_field_name="code",
        empty_label="Any certification",
    )
    x = forms.IntegerField(min_value=1, required=False, label="X mm")
    y = forms.IntegerField(min_value=1, required=False, label="Y mm")
    z = forms.IntegerField(min_value=1, required=False, label="Z mm")

    def filters(self) -> NetworkFilter:
        if not self.is_valid():
            return NetworkFilter()
        data = self.cleaned_data
        envelope = None
        if any(data.get(axis) for axis in "xyz"):
            envelope = tuple(data.get(axis) or 1 for axis in "xyz")
        return NetworkFilter(
            process=data["process"].code if data.get("process") else "",
            material=data["material"].code if data.get("material") else "",
            country=data.get("country") or "",
            certification=data["certification"].code if data.get("certification") else "",
            envelope_mm=envelope,
        )
