"""Money in: payments, refunds, card disputes, and the provider events that report them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Organization
from billing.models.columns import CURRENCY_LENGTH, MoneyColumn
from billing.money import Money


# -- payments -------------------------------------------------------------------------------
class Payment(models.Model):
    """A customer's payment for an order, through one provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the money"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        CANCELED = "canceled", "Cancelled"

    order_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=100, help_text="Human reference, e.g. the order's.")
    payer = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    customer_email = models.EmailField(blank=True)
    provider = models.CharField(max_length=20)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    amount = MoneyColumn("amount_minor")
    vat_minor = models.BigIntegerField(
        default=0, help_text="The VAT included in the amount (owed to the tax office)."
    )
    vat = MoneyColumn("vat_minor")
    sale_lines = models.JSONField(
        default=list,
        blank=True,
        help_text="The invoice lines the amount was priced on: description, net and VAT.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    provider_payment_id = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="PaymentIntent id or bank reference."
    )
    provider_charge_id = models.CharField(max_length=200, blank=True)
    transfer_group = models.CharField(max_length=100, blank=True)
    instructions = models.JSONField(default=dict, blank=True, help_text="Shown to the customer.")
    failure_message = models.TextField(blank=True)
    unwanted_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Set when the order no longer takes this money: it is refunded in full.",
    )
    confirmed_amount_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(vat_minor__gte=0) & Q(vat_minor__lt=models.F("amount_minor")),
                name="payment_vat_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("confirmed_amount_minor")),
                name="payment_refund_within_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.reference} ({self.amount}, {self.get_status_display()})"

    @property
    def refundable(self) -> Money:
        return Money(self.confirmed_amount_minor - self.refunded_minor, self.currency)

    @property
    def net(self) -> Money:
        """What goes into the order's escrow: the amount without its VAT."""
        return Money(self.amount_minor - self.vat_minor, self.currency)


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    amount = MoneyColumn("amount_minor")
    vat_minor = models.BigIntegerField(
        default=0, help_text="The VAT given back within the amount (out of VAT payable)."
    )
    vat = MoneyColumn("vat_minor")
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=200, unique=True)
    provider_refund_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    key_generation = models.PositiveIntegerField(
        default=0, help_text="Bumped when the provider stored a failure under the key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(vat_minor__gte=0) & Q(vat_minor__lte=models.F("amount_minor")),
                name="refund_vat_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on {self.payment.reference}"

    @property
    def net(self) -> Money:
        """What left the order's escrow: the amount without the VAT given back with it."""
        return Money(self.amount_minor - self.vat_minor, self.currency)

    @property
    def provider_key(self) -> str:
        """The provider's idempotency key: from our id, stable across lost answers."""
        suffix = f"~{self.key_generation}" if self.key_generation else ""
        return f"cf-refund-{self.pk}{suffix}"


class PaymentDispute(models.Model):
    """A cardholder's dispute of a payment's charge, as the provider last reported it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(max_length=200, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    amount = MoneyColumn("amount_minor")
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    provider_status = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.provider_dispute_id} on {self.payment.reference} ({self.status})"


# -- webhooks -------------------------------------------------------------------------------
class WebhookEvent(models.Model):
    """A verified provider event, stored under its unique id before it is processed once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=20, default="stripe")
    event_id = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=200, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Times processing started.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
