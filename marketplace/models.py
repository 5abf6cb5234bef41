"""The network (catalog, workshops, machines, capacity) and the designs customers upload."""

import uuid
from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from marketplace import order_flow

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


class WorkshopQuerySet(models.QuerySet["Workshop"]):
    def verified(self) -> "WorkshopQuerySet":
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
    min_lead_time_hours = models.PositiveIntegerField(
        default=24, help_text="Hours between being assigned a job and the earliest start."
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
    """A recurring opening of a machine, in the workshop's local time (stored as UTC times)."""

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
    co2_g_per_km = models.PositiveIntegerField(
        default=250, help_text="Grams of CO2 per km for a typical parcel share of a van."
    )

    class Meta:
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return str(self.organization)


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


class CapacityBooking(models.Model):
    """Machine time promised to a job; two bookings of one machine never overlap."""

    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reference = models.CharField(
        max_length=100, help_text="What the time is for, e.g. the job it was booked for."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["machine", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")),
                name="capacity_booking_start_before_end",
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


DESIGN_EXTENSIONS = {
    "stl_binary": "stl",
    "stl_ascii": "stl",
    "3mf": "3mf",
    "obj": "obj",
    "step": "step",
}


def _design_upload_path(revision: "DesignRevision", filename: str) -> str:
    """Generated names only: the customer's file name never reaches the file system."""
    extension = DESIGN_EXTENSIONS.get(revision.format, "bin")
    return f"designs/{revision.design.organization_id}/{uuid.uuid4().hex}.{extension}"


def _design_derived_path(revision: "DesignRevision", filename: str) -> str:
    return f"designs/{revision.design.organization_id}/derived/{uuid.uuid4().hex}-{filename}"


class DesignQuerySet(models.QuerySet["Design"]):
    def visible_to(self, user) -> "DesignQuerySet":
        """The organization's own designs, those a workshop works on, all for operators."""
        from accounts.selectors import is_operator

        if not user.is_authenticated:
            return self.none()
        if is_operator(user=user):
            return self
        # Workshops see the parts they were given a step of (offered, accepted or done).
        worked_on = QuoteLine.objects.filter(
            jobs__workshop__organization__memberships__user=user,
            jobs__status__in=["offered", "accepted", "in_progress", "done"],
        ).values("revision__design")
        return self.filter(Q(organization__memberships__user=user) | Q(pk__in=worked_on)).distinct()


class Design(models.Model):
    """A part a customer wants made; each upload of a new version is a revision."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="designs")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    blocked = models.BooleanField(
        default=False, help_text="Blocked by an operator after a report: it cannot be quoted."
    )
    blocked_reason = models.CharField(max_length=500, blank=True)

    objects = DesignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest(self) -> "DesignRevision | None":
        revisions = list(self.revisions.all())  # prefetched in lists
        return max(revisions, key=lambda r: r.number) if revisions else None


class DesignRevision(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for analysis"
        ANALYSING = "analysing", "Being analysed"
        ANALYSED = "analysed", "Analysed"
        FAILED = "failed", "Could not be read"

    class Unit(models.TextChoices):
        MM = "mm", "millimetres"
        INCH = "inch", "inches"
        M = "m", "metres"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_design_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.MM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    analysis = models.JSONField(null=True, blank=True)
    thumbnail = models.FileField(upload_to=_design_derived_path, blank=True, max_length=255)
    preview = models.FileField(upload_to=_design_derived_path, blank=True, max_length=255)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["design", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["design", "number"], name="design_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.design} v{self.number}"

    @property
    def is_analysed(self) -> bool:
        return self.status == self.Status.ANALYSED

    @property
    def bbox_mm(self) -> list[float] | None:
        return (self.analysis or {}).get("bbox_mm")


class QuoteRequest(models.Model):
    """What a customer asks to have made, and the options the matcher found for it."""

    class Status(models.TextChoices):
        SOLVING = "solving", "Finding options"
        READY = "ready", "Options ready"
        INFEASIBLE = "infeasible", "No option found"
        FAILED = "failed", "Failed"

    class Tolerance(models.TextChoices):
        STANDARD = "standard", "Standard (±0.1 mm)"
        PRECISION = "precision", "Precision (±0.05 mm)"
        HIGH = "high-precision", "High precision (±0.02 mm)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="quote_requests"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(null=True, blank=True)
    ship_to_name = models.CharField(max_length=200)
    ship_to_address = models.CharField(max_length=255)
    ship_to_city = models.CharField(max_length=100)
    ship_to_country = models.CharField(max_length=2)
    ship_to_latitude = models.DecimalField(max_digits=8, decimal_places=5)
    ship_to_longitude = models.DecimalField(max_digits=8, decimal_places=5)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SOLVING)
    reasons = models.JSONField(default=list, blank=True)
    earliest_delivery_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Quote #{self.pk} for {self.organization}"

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and timezone.now() >= self.valid_until


class QuoteLine(models.Model):
    request = models.ForeignKey(QuoteRequest, on_delete=models.CASCADE, related_name="lines")
    revision = models.ForeignKey(DesignRevision, on_delete=models.PROTECT, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    finish = models.ForeignKey(
        Finish, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    tolerance = models.CharField(
        max_length=20, choices=QuoteRequest.Tolerance.choices, default="standard"
    )

    class Meta:
        ordering = ["request", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="quote_line_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.revision.design} in {self.material}"


class QuoteOption(models.Model):
    """One plan on the Pareto front, priced and explained; the route is stored as solved."""

    request = models.ForeignKey(QuoteRequest, on_delete=models.CASCADE, related_name="options")
    rank = models.PositiveSmallIntegerField()
    labels = models.JSONField(default=list)
    price_minor = models.PositiveBigIntegerField()
    cost_minor = models.PositiveBigIntegerField()
    margin_minor = models.PositiveBigIntegerField()
    platform_fee_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    delivery_at = models.DateTimeField()
    co2_g = models.PositiveBigIntegerField()
    summary = models.TextField(blank=True)
    route = models.JSONField(default=dict)

    class Meta:
        ordering = ["request", "rank"]

    def __str__(self) -> str:
        return f"{', '.join(self.labels)} option of {self.request}"


class OrderQuerySet(models.QuerySet["Order"]):
    def visible_to(self, user) -> "OrderQuerySet":
        """The customer's orders, orders a workshop or carrier works on, all for operators."""
        from accounts.selectors import is_operator

        if not user.is_authenticated:
            return self.none()
        if is_operator(user=user):
            return self
        return self.filter(
            Q(organization__memberships__user=user)
            | Q(jobs__workshop__organization__memberships__user=user)
            | Q(shipments__carrier__organization__memberships__user=user)
        ).distinct()


class Order(models.Model):
    # Mirrors order_flow.OrderStatus, which holds the transitions.
    Status = models.TextChoices(
        "Status", [(s.name, (s.value, order_flow.LABELS[s])) for s in order_flow.OrderStatus]
    )

    reference = models.CharField(max_length=20, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders")
    option = models.OneToOneField(QuoteOption, on_delete=models.PROTECT, related_name="order")
    status = models.CharField(max_length=20, choices=Status.choices, default="placed")
    price_minor = models.PositiveBigIntegerField()
    cost_minor = models.PositiveBigIntegerField()
    margin_minor = models.PositiveBigIntegerField()
    platform_fee_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    promised_delivery_at = models.DateTimeField()
    placed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    pay_by = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    plan_version = models.PositiveIntegerField(default=1)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def request(self) -> QuoteRequest:
        return self.option.request


class OrderEvent(models.Model):
    """The audit trail: every status change, who made it, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    kind = models.CharField(max_length=40, default="status")
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_status or '-'} -> {self.to_status}"


class Job(models.Model):
    """One process step of an order, assigned to a workshop's machine."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned (order not paid yet)"
        OFFERED = "offered", "Waiting for acceptance"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Moved by re-planning"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.PLANNED, Status.OFFERED, Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="jobs")
    job_key = models.CharField(max_length=60, help_text="The engine's job id (line or assembly).")
    step_key = models.CharField(max_length=60, help_text="The engine's step id.")
    name = models.CharField(max_length=120)
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(
        QuoteLine, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="jobs")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="jobs")
    sequence = models.PositiveIntegerField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    accept_by = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    cost_minor = models.PositiveBigIntegerField()
    runner_up_cost_minor = models.PositiveBigIntegerField(null=True, blank=True)
    why = models.TextField(blank=True)
    booking = models.OneToOneField(
        CapacityBooking, on_delete=models.SET_NULL, null=True, blank=True, related_name="job"
    )
    progress_percent = models.PositiveSmallIntegerField(default=0)
    progress_note = models.CharField(max_length=255, blank=True)
    declined_reason = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    plan_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "sequence", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="job_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.name} at {self.workshop}"

    @property
    def days_late(self) -> int:
        if self.finished_at is None or self.finished_at <= self.planned_end:
            return 0
        return (self.finished_at - self.planned_end).days + 1


class Shipment(models.Model):
    """A leg between two workshops, or from the last one to the customer."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SUPERSEDED = "superseded", "Replaced by re-planning"
        IN_TRANSIT = "in_transit", "In transit"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    job_key = models.CharField(max_length=60)
    origin = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        Workshop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the leg to the customer.",
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    planned_departure = models.DateTimeField()
    planned_arrival = models.DateTimeField()
    km = models.PositiveIntegerField()
    cost_minor = models.PositiveBigIntegerField()
    co2_g = models.PositiveBigIntegerField()
    tracking_number = models.CharField(max_length=60, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    plan_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "planned_departure"]

    def __str__(self) -> str:
        return f"{self.order}: {self.origin} → {self.destination or 'customer'}"

    @property
    def to_customer(self) -> bool:
        return self.destination_id is None


class Message(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at"]

    def __str__(self) -> str:
        return f"{self.author} on {self.order}"


class Review(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reviews")
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "workshop"], name="one_review_per_workshop"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.workshop} on {self.order}"


class DesignReport(models.Model):
    """Someone's report that a design is prohibited or infringes intellectual property."""

    class Kind(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited item (weapons, regulated parts...)"
        IP = "ip", "Infringes a patent, design or trademark"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld: design blocked"
        DISMISSED = "dismissed", "Dismissed"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    details = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report on {self.design}"
