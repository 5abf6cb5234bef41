"""Quotes, orders, jobs, shipments, the order's audit trail, messages and reviews."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from billing import sharing
from marketplace.designs.models import DONE_JOB_STATUS, LIVE_JOB_STATUSES, DesignRevision
from marketplace.network.models import (
    DEFAULT_CURRENCY,
    CapacityBooking,
    Carrier,
    Finish,
    Machine,
    Material,
    Process,
    Workshop,
)
from marketplace.orders import flow as order_flow
from matching.option_labels import label_words


def late_grace() -> timedelta:
    """How long after a promised moment lateness starts to count (SHARING_LATE_GRACE_HOURS)."""
    return timedelta(hours=settings.SHARING_LATE_GRACE_HOURS)


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
    revision = models.ForeignKey(
        DesignRevision, on_delete=models.PROTECT, related_name="quote_lines"
    )
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
        return f"{', '.join(label_words(label) for label in self.labels)} option of {self.request}"


class OrderQuerySet(models.QuerySet["Order"]):
    def visible_to(self, user) -> OrderQuerySet:
        """The customer's orders, orders a workshop or carrier works on, all for operators."""
        from accounts.selectors import is_operator

        if not user.is_authenticated:
            return self.none()
        if is_operator(user=user):
            return self
        # A workshop sees the orders of the steps it holds: offered to it, accepted, under way
        # or done; a planned (unpaid), declined, moved or cancelled step shows nothing.
        held_jobs = Job.objects.filter(
            workshop__organization__memberships__user=user, status__in=Job.HELD
        ).values("order_id")
        held_legs = Shipment.objects.filter(carrier__organization__memberships__user=user).exclude(
            status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED]
        )
        return self.filter(
            Q(organization__memberships__user=user)
            | Q(pk__in=held_jobs)
            | Q(pk__in=held_legs.values("order_id"))
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

    @property
    def to_status_label(self) -> str:
        """The status moved to, in words ("In production", not "in_production")."""
        return order_flow.LABELS.get(self.to_status, self.to_status.replace("_", " ").capitalize())


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

    ACTIVE = (
        Status.PLANNED,
        Status.OFFERED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.DONE,
    )
    # The steps a workshop holds: it sees their order, chat and designs. Designs write the
    # rule (they cannot import orders); it is read here, not written a second time.
    HELD = tuple(map(Status, (*LIVE_JOB_STATUSES, DONE_JOB_STATUS)))

    class Inspection(models.TextChoices):
        """Values match billing.sharing.Quality, which the margin share reads."""

        ACCEPTED = "accepted", "Accepted"
        REWORKED = "reworked", "Reworked (fixed by the workshop after inspection)"
        REJECTED = "rejected", "Rejected (someone else had to redo it)"

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
    estimate_cost_minor = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The estimator's median price for the step (minor units)."
    )
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
    expected_end = models.DateTimeField(
        null=True, blank=True, help_text="The end the workshop now expects (a reported delay)."
    )
    delay_reason = models.CharField(max_length=500, blank=True)
    needs_replan = models.BooleanField(
        default=False,
        help_text="Its machine time was taken by a forced closure or shorter hours while the "
        "machine stays available; the next outage pass re-plans it.",
    )
    inspection = models.CharField(
        max_length=10,
        choices=Inspection.choices,
        blank=True,
        help_text="Empty until someone inspects the step's work; then counts for the margin share.",
    )
    inspection_note = models.CharField(max_length=500, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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
    def is_held(self) -> bool:
        """Its workshop holds it (``HELD``), so may open its page; otherwise the board only
        names it."""
        return self.status in self.HELD

    @property
    def days_late(self) -> int:
        """Whole days past the planned end the workshop accepted, after the grace period."""
        if self.finished_at is None:
            return 0
        return sharing.days_late(
            finished=self.finished_at, promised=self.planned_end, grace=late_grace()
        )


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
    runner_up_cost_minor = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The next independent carrier's price (minor units)."
    )
    estimate_cost_minor = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The estimator's median price for the leg (minor units)."
    )
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

    @property
    def days_late(self) -> int:
        """Whole days past the planned arrival the carrier accepted, after the grace period."""
        if self.received_at is None:
            return 0
        return sharing.days_late(
            finished=self.received_at, promised=self.planned_arrival, grace=late_grace()
        )

    @property
    def sender_organization_ids(self) -> frozenset[int]:
        """Who may hand this leg's parts over: the sending workshop or the carrier."""
        return frozenset({self.origin.organization_id, self.carrier.organization_id})

    @property
    def receiver_organization_id(self) -> int:
        """The organization the parts go to: the next workshop's, or the customer's."""
        return self.order.organization_id if self.to_customer else self.destination.organization_id

    @property
    def receiver_organization_ids(self) -> frozenset[int]:
        """Who may confirm arrival: the receiver, or the carrier."""
        return frozenset({self.receiver_organization_id, self.carrier.organization_id})

    def can_hand_over(self, organization_ids: frozenset[int]) -> bool:
        """The rule the hand-over service enforces and the order page shows as a button."""
        return self.status == self.Status.PLANNED and bool(
            self.sender_organization_ids & organization_ids
        )

    def can_receive(self, organization_ids: frozenset[int]) -> bool:
        """The rule the receive service enforces and the order page shows as a button."""
        return self.status == self.Status.IN_TRANSIT and bool(
            self.receiver_organization_ids & organization_ids
        )


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


class DisputeDecision(models.Model):
    """An operator's settlement of a dispute, with its amounts: what goes back to the
    customer and which parties are paid their price. Shown on every party's statement."""

    class Outcome(models.TextChoices):
        RESUME = "resume", "Production resumes"
        COMPLETE = "complete", "The order completes"
        CANCEL = "cancel", "The order is cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="dispute_decisions")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    refund_minor = models.PositiveBigIntegerField(
        default=0, help_text="Sent back to the customer (for a cancel: all that was left)."
    )
    currency = models.CharField(max_length=3)
    paid_parties = models.JSONField(
        default=list, help_text="Party ids (job-<id>, leg-<id>) paid their own price."
    )
    explanation = models.TextField()
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order}: {self.get_outcome_display()}"
