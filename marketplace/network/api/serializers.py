"""Serializers of the network API: catalog, workshops, machines, capacity."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Certification,
    Finish,
    Machine,
    MachineStatusChange,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
)


class ProcessSerializer(serializers.ModelSerializer):
    class Meta:
        model = Process
        fields = [
            "id",
            "code",
            "name",
            "family",
            "description",
            "rate_unit",
            "typical_tolerance_mm",
            "min_wall_mm",
            "min_feature_mm",
            "self_supporting_angle_deg",
        ]


class MaterialSerializer(serializers.ModelSerializer):
    processes = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Process.objects.all()
    )

    class Meta:
        model = Material
        fields = [
            "id",
            "code",
            "name",
            "family",
            "density_g_cm3",
            "price_per_kg_minor",
            "currency",
            "porous",
            "processes",
        ]


class FinishSerializer(serializers.ModelSerializer):
    process = serializers.SlugRelatedField(slug_field="code", queryset=Process.objects.all())
    materials = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Material.objects.all()
    )

    class Meta:
        model = Finish
        fields = ["id", "code", "name", "process", "materials", "description"]


class CertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certification
        fields = ["id", "code", "name", "description"]


class WorkshopSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="organization.name", read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    certifications = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Certification.objects.all(), required=False
    )

    class Meta:
        model = Workshop
        fields = [
            "id",
            "organization",
            "name",
            "description",
            "address",
            "city",
            "country",
            "latitude",
            "longitude",
            "certifications",
            "verification_status",
            "verification_note",
            "verified_at",
            "rating",
            "review_count",
            "min_lead_time_hours",
            "urgent_lead_time_hours",
        ]
        read_only_fields = [
            "verification_status",
            "verification_note",
            "verified_at",
            "rating",
            "review_count",
        ]


class VerificationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Workshop.Verification.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "example": "08:00",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time on the workshop's own clock, with no offset (``08:00:00``); OpenAPI's ``time``
    format is RFC 3339's, which demands one, so the schema states the shape itself."""


class WeeklyAvailabilitySerializer(serializers.ModelSerializer):
    start_time = WallClockTimeField()
    end_time = WallClockTimeField()

    class Meta:
        model = WeeklyAvailability
        fields = ["weekday", "start_time", "end_time"]


class MachineSerializer(serializers.ModelSerializer):
    workshop = serializers.PrimaryKeyRelatedField(read_only=True)
    process = serializers.SlugRelatedField(slug_field="code", queryset=Process.objects.all())
    materials = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Material.objects.all(), required=False
    )
    weekly_hours = WeeklyAvailabilitySerializer(many=True, read_only=True)

    class Meta:
        model = Machine
        fields = [
            "id",
            "workshop",
            "name",
            "process",
            "materials",
            "envelope_x_mm",
            "envelope_y_mm",
            "envelope_z_mm",
            "tolerance_mm",
            "hourly_rate_minor",
            "setup_cost_minor",
            "setup_minutes",
            "currency",
            "throughput",
            "status",
            "status_note",
            "status_until",
            "weekly_hours",
        ]
        read_only_fields = ["status", "status_note", "status_until"]
        extra_kwargs = {
            "envelope_x_mm": {"min_value": 1},
            "envelope_y_mm": {"min_value": 1},
            "envelope_z_mm": {"min_value": 1},
        }


class MachineStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Machine.Status.choices)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class MachineStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MachineStatusChange
        fields = ["status", "previous_status", "note", "until", "changed_at"]


class WeeklyHoursSerializer(serializers.Serializer):
    slots = WeeklyAvailabilitySerializer(many=True)
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Accept hours that leave booked jobs outside them; those jobs are re-planned.",
    )


class CapacityExceptionSerializer(serializers.ModelSerializer):
    machine = serializers.PrimaryKeyRelatedField(queryset=Machine.objects.all())
    force = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Close over booked jobs anyway; those jobs are re-planned.",
    )

    class Meta:
        model = CapacityException
        fields = ["id", "machine", "starts_at", "ends_at", "kind", "note", "force"]


class CapacityBookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapacityBooking
        fields = ["id", "machine", "starts_at", "ends_at", "reference"]


class IntervalSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class CapacitySerializer(serializers.Serializer):
    machine = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    open_hours = serializers.FloatField()
    booked_hours = serializers.FloatField()
    free_hours = serializers.FloatField()
    free = IntervalSerializer(many=True)
    closures = CapacityExceptionSerializer(many=True)
    bookings = CapacityBookingSerializer(many=True)


class CapacityQuerySerializer(serializers.Serializer):
    machine = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def _within_years(self, value):
        """Capacity is planned a year or two ahead; year 9999 plus four weeks overflows."""
        if not 2000 <= value.year <= 2999:
            raise serializers.ValidationError("Give a date between the years 2000 and 2999.")
        return value

    validate_start = validate_end = _within_years

    def validate(self, data):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise serializers.ValidationError("start must be before end.")
        return data
