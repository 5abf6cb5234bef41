"""The network's records: catalog, workshops, machines, hours, closures, bookings, carriers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from marketplace.network.local_hours import DEFAULT_TIME_ZONE, is_time_zone

DEFAULT_CURRENCY = "EUR"


class Process(models.Model):
    """A way of making or treating a part (SLS printing, 5-axis milling, anodizing...)."""

    class Family(models.TextChoices):
        ADDITIVE = "additive", "Additive manufacturing"
        SUBTRACTIVE = "subtractive", "Machining"
        SHEET = "sheet", "Sheet metal"
        FINISHING = "finishing", "Finishing"
        INSPECTION = "inspection", "Inspection"
        ASSEMBLY = "assembly", "Assembly and packing"

    class RateUnit(models.TextChoices):
        DEPOSITION = "cm3_per_h", "cm³ deposited per hour"
        REMOVAL = "cm3_per_min", "cm³ removed per minute"
        CUTTING = "mm_per_min", "mm cut per minute"
        BENDS = "bends_per_h", "bends per hour"
        AREA = "dm2_per_h", "dm² treated per hour"
        PARTS = "parts_per_h", "parts per hour"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    family = models.CharField(max_length=20, choices=Family.choices)
    description = models.TextField(blank=True)
    rate_unit = models.CharField(
        max_length=20,
        choices=RateUnit.choices,
        help_text="The unit in which machines of this process declare their throughput.",
    )
    typical_tolerance_mm = models.DecimalField(max_digits=6, decimal_places=3)
    min_wall_mm = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    min_feature_mm = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    self_supporting_angle_deg = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Additive only: overhangs steeper than this need support."
    )

    class Meta:
        ordering = ["family", "name"]
        verbose_name_plural = "processes"

    def __str__(self) -> str:
        return self.name

    @property
    def shapes_parts(self) -> bool:
        """Whether the process makes the part's shape, as opposed to treating or checking it."""
        return self.family in (self.Family.ADDITIVE, self.Family.SUBTRACTIVE, self.Family.SHEET)


class Material(models.Model):
    class Family(models.TextChoices):
        THERMOPLASTIC = "thermoplastic", "Thermoplastic filament"
        POWDER = "powder", "Polymer powder"
        RESIN = "resin", "Photopolymer resin"
        ALUMINIUM = "aluminium", "Aluminium"
        STEEL = "steel", "Steel"
        STAINLESS = "stainless", "Stainless steel"
        TITANIUM = "titanium", "Titanium"
        COPPER_ALLOY = "copper_alloy", "Copper alloy"
        ENGINEERING_PLASTIC = "engineering_plastic", "Engineering plastic (stock)"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    family = models.CharField(max_length=30, choices=Family.choices)
    density_g_cm3 = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0.1"))]
    )
    price_per_kg_minor = models.PositiveIntegerField(help_text="Minor units (cents) per kg.")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    porous = models.BooleanField(default=False, help_text="Takes dye (e.g. sintered PA12).")
    processes = models.ManyToManyField(Process, related_name="materials", blank=True)

    class Meta:
        ordering = ["family", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(density_g_cm3__gt=0), name="material_density_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Finish(models.Model):
    """A post-process a customer can ask for, with the materials it applies to."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="finishes")
    materials = models.ManyToManyField(Material, related_name="finishes")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    """A workshop's zone must be an IANA name (Europe/Berlin), or its hours mean nothing."""
    if not is_time_zone(value):
        raise ValidationError(
            f"{value!r} is not a time zone: use an IANA name such as Europe/Berlin."
        )


class WorkshopQuerySet(models.QuerySet["Workshop"]):
    def verified(self) -> WorkshopQuerySet:
        return self.filter(verification_status=Workshop.Verification.VERIFIED)


class Workshop(models.Model):
    """A workshop organization's public profile; only verified workshops receive jobs."""

    class Verification(models.TextChoices):
        PENDING = "pending", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        SUSPENDED = "suspended", "Suspended"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="workshop"
    )
    description = models.TextField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    certifications = models.ManyToManyField(Certification, related_name="workshops", blank=True)
    verification_status = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.PENDING
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.CharField(
        max_length=500, blank=True, help_text="The operator's reason, shown to the workshop."
    )
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    inspection_count = models.PositiveIntegerField(
        default=0, help_text="Inspected steps (passed, reworked or rejected) the rating counts."
    )
    min_lead_time_hours = models.PositiveIntegerField(
        default=24, help_text="Hours between being assigned a job and the earliest start."
    )
    urgent_lead_time_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hours needed to start urgent work taken over after another workshop's "
        "breakdown; empty: no urgent work, the usual lead time applies.",
    )
    timezone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="IANA time zone (e.g. Europe/Berlin); weekly hours are read in it.",
    )

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="workshop_coordinates_valid",
            )
        ]

    def __str__(self) -> str:
        return str(self.organization)

    @property
    def is_verified(self) -> bool:
        return self.verification_status == self.Verification.VERIFIED


class Machine(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        MAINTENANCE = "maintenance", "In maintenance"
        DOWN = "down", "Down"

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="machines")
    name = models.CharField(max_length=100)
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="machines")
    materials = models.ManyToManyField(Material, related_name="machines", blank=True)
    envelope_x_mm = models.PositiveIntegerField()
    envelope_y_mm = models.PositiveIntegerField()
    envelope_z_mm = models.PositiveIntegerField()
    tolerance_mm = models.DecimalField(max_digits=6, decimal_places=3)
    hourly_rate_minor = models.PositiveIntegerField(help_text="Minor units per machine hour.")
    setup_cost_minor = models.PositiveIntegerField(default=0, help_text="Minor units per batch.")
    setup_minutes = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    throughput = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        help_text="In the unit of the machine's process (e.g. cm³/h for printers).",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    status_note = models.CharField(max_length=255, blank=True)
    status_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workshop__organization__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(envelope_x_mm__gt=0, envelope_y_mm__gt=0, envelope_z_mm__gt=0),
                name="machine_envelope_positive",
            ),
            models.CheckConstraint(
                condition=Q(throughput__gt=0), name="machine_throughput_positive"
            ),
            models.CheckConstraint(
                condition=Q(tolerance_mm__gt=0), name="machine_tolerance_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.workshop})"

    @property
    def envelope_mm(self) -> tuple[int, int, int]:
        return (self.envelope_x_mm, self.envelope_y_mm, self.envelope_z_mm)


class WeeklyAvailability(models.Model):
    """A recurring opening of a machine: wall-clock times in the workshop's time zone."""

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["machine", "weekday", "start_time"]
        verbose_name_plural = "weekly availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")),
                name="weekly_availability_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class CapacityException(models.Model):
    """Time a machine is closed despite its weekly hours: holidays, maintenance."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        MAINTENANCE = "maintenance", "Maintenance"
        OTHER = "other", "Other"

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="exceptions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HOLIDAY)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["machine", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")),
                name="capacity_exception_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d} - {self.ends_at:%Y-%m-%d}"


class Carrier(models.Model):
    """A logistics partner's terms: how fast, how dear and how clean its transport is."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="carrier"
    )
    description = models.TextField(blank=True)
    countries = models.CharField(
        max_length=200, help_text="ISO codes of the countries served, separated by commas."
    )
    base_fee_minor = models.PositiveIntegerField(help_text="Minor units per shipment.")
    per_100km_minor = models.PositiveIntegerField(help_text="Minor units per 100 km.")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    speed_km_per_day = models.PositiveIntegerField(default=600)
    urgent_leg_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Shortest leg, in hours, of a direct courier for work re-planned after a "
        "breakdown (at the usual speed and tariff); empty: every leg takes a day at least.",
    )
    co2_g_per_km = models.PositiveIntegerField(
        default=250,
        help_text="Grams of CO2 per km of a dedicated vehicle; used only without a rate table "
        "(with one, CO2 comes from published per-tonne-km factors).",
    )
    parcel_max_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal("31.5"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text="Heaviest parcel accepted (chargeable kg); heavier goes on pallets.",
    )
    parcel_max_cm = models.PositiveSmallIntegerField(
        default=120,
        validators=[MinValueValidator(10)],
        help_text="Longest parcel side accepted, in cm; longer goes on pallets.",
    )
    pallet_max_kg = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(50)], help_text="Load per pallet, in kg."
    )

    class Meta:
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return str(self.organization)


class CarrierRate(models.Model):
    """One line of a carrier's tariff: up to `upto_km` road km, the price per parcel and per
    pallet (minor units of the carrier's currency). The table as a whole is checked by
    `matching.transport.validate_rates` where it is edited."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="rates")
    upto_km = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Upper bound of the band, in road km."
    )
    parcel_minor = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Minor units per parcel."
    )
    pallet_minor = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Minor units per pallet."
    )

    class Meta:
        ordering = ["carrier", "upto_km"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "upto_km"], name="carrier_rate_band_unique"),
            models.CheckConstraint(
                condition=Q(upto_km__gt=0) & Q(parcel_minor__gt=0),
                name="carrier_rate_positive",
            ),
            models.CheckConstraint(
                condition=Q(pallet_minor__gte=models.F("parcel_minor")),
                name="carrier_rate_pallet_not_below_parcel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} up to {self.upto_km} km"

    def clean(self) -> None:
        both = self.pallet_minor is not None and self.parcel_minor is not None
        if both and self.pallet_minor < self.parcel_minor:
            raise ValidationError({"pallet_minor": "A pallet cannot cost less than a parcel."})


class WorkshopPhoto(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="workshop-photos/%Y/%m/")
    caption = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.caption or f"Photo of {self.workshop}"


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL and nothing elsewhere.

    SQLite has no GiST indexes; there, `capacity_book` is the only guard, and SQLite's single
    writer (immediate transactions) makes its check-then-insert atomic anyway.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class CapacityBookingQuerySet(models.QuerySet["CapacityBooking"]):
    def live(self, now: datetime) -> CapacityBookingQuerySet:
        """What takes machine time at ``now``: confirmed bookings and holds not yet expired."""
        return self.filter(Q(kind=CapacityBooking.Kind.BOOKING) | Q(expires_at__gt=now))


class ConfirmedBookingManager(models.Manager.from_queryset(CapacityBookingQuerySet)):
    """Confirmed bookings only: the default, so `machine.bookings` means promised time."""

    def get_queryset(self) -> CapacityBookingQuerySet:
        return super().get_queryset().filter(kind=CapacityBooking.Kind.BOOKING)


class CapacityBooking(models.Model):
    """Machine time promised to a job (a booking) or offered to one (a hold); never overlapping.

    A hold is an offer's tentative claim: it lapses at ``expires_at`` (the job's acceptance
    deadline) and turns into the booking when the job is accepted (see ``save``). The default
    manager (``objects``, and ``machine.bookings``) reads confirmed bookings only;
    ``all_objects.live(now)`` is what the capacity snapshot subtracts.
    """

    class Kind(models.TextChoices):
        BOOKING = "booking", "Booking"
        HOLD = "hold", "Hold for an open offer"

    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reference = models.CharField(
        max_length=100, help_text="What the time is for, e.g. the job it was booked for."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOOKING)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When a hold lapses (the offer's acceptance deadline)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConfirmedBookingManager()
    all_objects = models.Manager.from_queryset(CapacityBookingQuerySet)()

    class Meta:
        ordering = ["machine", "starts_at"]
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")),
                name="capacity_booking_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(kind="booking", expires_at__isnull=True)
                | Q(kind="hold", expires_at__isnull=False),
                name="capacity_booking_hold_expires",
            ),
            PostgresExclusionConstraint(
                name="capacity_booking_no_overlap",
                expressions=[
                    ("machine", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.machine}: {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%H:%M}"

    def save(self, *args, **kwargs) -> None:
        """A new booking takes over the hold of exactly its time (the accepted offer's) and
        clears lapsed holds in its way; a live hold of another offer refuses it.

        ``capacity_book`` locks the machine row before it gets here, so this runs under that
        lock; the refusal is an ``IntegrityError``, as the exclusion constraint's would be.
        """
        if self._state.adding and self.kind == self.Kind.BOOKING:
            now = timezone.now()
            overlapping = CapacityBooking.all_objects.filter(
                machine_id=self.machine_id,
                kind=self.Kind.HOLD,
                starts_at__lt=self.ends_at,
                ends_at__gt=self.starts_at,
            )
            own = Q(starts_at=self.starts_at, ends_at=self.ends_at) | Q(expires_at__lte=now)
            if overlapping.exclude(own).exists():
                raise IntegrityError("This time is held for another open offer.")
            overlapping.delete()
        super().save(*args, **kwargs)

    @property
    def is_hold(self) -> bool:
        return self.kind == self.Kind.HOLD


class MachineStatusChange(models.Model):
    """The audit trail of a machine's status, whether set in the browser or pushed by a MES."""

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=Machine.Status.choices)
    previous_status = models.CharField(max_length=20, choices=Machine.Status.choices)
    note = models.CharField(max_length=255, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.machine}: {self.previous_status} -> {self.status}"
