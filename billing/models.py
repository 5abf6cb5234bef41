"""The ledger (accounts, transactions, entries), payments, refunds, payouts and webhook events.

Money columns are ``amount_minor`` (integer minor units) plus ``currency`` (ISO 4217), read back
as ``billing.money.Money``. Ledger rows are append-only: ``save`` refuses to change an existing
row, ``delete`` and queryset ``update``/``delete`` refuse outright; only ``billing.ledger``
writes them. What a payment or ledger transaction pays for is a plain ``order_id`` (and a
human ``reference``), so billing does not depend on marketplace.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from billing.errors import ImmutableRecord
from billing.money import Money, MoneyError

CURRENCY_LENGTH = 3


# -- append-only plumbing -------------------------------------------------------------------
class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes would bypass the model's guard, so they are refused too."""

    def update(self, **kwargs):
        raise ImmutableRecord("Ledger rows cannot be changed; post a reversing transaction.")

    def delete(self):
        raise ImmutableRecord("Ledger rows cannot be deleted; post a reversing transaction.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecord(
                f"{type(self).__name__} rows cannot be changed; post a reversing transaction."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord(
            f"{type(self).__name__} rows cannot be deleted; post a reversing transaction."
        )


# -- the ledger -----------------------------------------------------------------------------
class LedgerAccount(models.Model):
    """One bucket of money, per kind, owner and currency.

    Sign convention: an entry is what flows *into* the account (negative: out of it). A
    positive balance is money the platform holds for, or owes to, the owner (funds held,
    payables, refunds due) or has earned (platform revenue); ``provider_clearing`` is the
    mirror image, minus the money sitting at the payment provider or bank.
    """

    class Kind(models.TextChoices):
        CUSTOMER_FUNDS_HELD = "customer_funds_held", "Customer funds held"
        WORKSHOP_PAYABLE = "workshop_payable", "Workshop payable"
        CARRIER_PAYABLE = "carrier_payable", "Carrier payable"
        PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
        PROVIDER_CLEARING = "provider_clearing", "Payment provider clearing"
        REFUNDS = "refunds", "Refunds due to customers"
        DISPUTES = "disputes", "Disputed payments (held by the card network)"
        PROVIDER_FEES = "provider_fees", "Payment provider fees (platform expense)"

    PLATFORM_KINDS = (
        Kind.PLATFORM_REVENUE,
        Kind.PROVIDER_CLEARING,
        Kind.DISPUTES,
        Kind.PROVIDER_FEES,
    )

    kind = models.CharField(max_length=32, choices=Kind.choices)
    owner = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        help_text="Empty for the platform's own accounts.",
    )
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "currency", "owner_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "owner", "currency"],
                condition=Q(owner__isnull=False),
                name="ledger_account_unique_owned",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(owner__isnull=True),
                name="ledger_account_unique_platform",
            ),
        ]

    def __str__(self) -> str:
        owner = self.owner.name if self.owner_id else "platform"
        return f"{self.get_kind_display()} · {owner} · {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecord("Ledger accounts cannot be changed once opened.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("Ledger accounts cannot be deleted.")


class LedgerTransaction(AppendOnlyModel):
    """A set of entries that sums to zero per currency; never changed after it is written."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment received"
        RELEASE = "release", "Funds released to parties"
        PAYOUT = "payout", "Payout to a party"
        PAYOUT_REVERSAL = "payout_reversal", "Payout reversed"
        REFUND = "refund", "Refund to the customer"
        REVERSAL = "reversal", "Correction (reversal)"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        DISPUTE = "dispute", "Payment disputed"
        FEE = "fee", "Payment provider fee"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=300)
    order_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The transaction this one corrects; a transaction is reversed at most once.",
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.description}"


class LedgerEntry(AppendOnlyModel):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField(help_text="Signed: into the account (+) or out (-).")
    currency = models.CharField(max_length=CURRENCY_LENGTH)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_minor=0), name="ledger_entry_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


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
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("confirmed_amount_minor")),
                name="payment_refund_within_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.reference} ({self.amount}, {self.get_status_display()})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def refundable(self) -> Money:
        return Money(self.confirmed_amount_minor - self.refunded_minor, self.currency)


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
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
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on {self.payment.reference}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

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

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# -- payouts --------------------------------------------------------------------------------
class ConnectedAccount(models.Model):
    """A party's account at the payout provider (a Stripe Connect Express account)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Onboarding not finished"
        ACTIVE = "active", "Ready for payouts"
        RESTRICTED = "restricted", "Restricted by the provider"

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="connected_account"
    )
    provider = models.CharField(max_length=20, default="stripe")
    provider_account_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payouts_enabled = models.BooleanField(
        default=False, help_text="The account may pay out to its bank (Stripe's payouts_enabled)."
    )
    transfers_active = models.BooleanField(
        default=False, help_text="The transfers capability is active: we may send it money."
    )
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization} at {self.provider} ({self.get_status_display()})"

    @property
    def can_receive_transfers(self) -> bool:
        """Transfers need the ``transfers`` capability, not ``payouts_enabled`` (that is the
        party's own payouts to its bank, which Stripe may pause while transfers still work)."""
        return self.transfers_active


class Payout(models.Model):
    """Money owed to one party for one order, sent once through the provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Being sent"
        SUBMITTED = "submitted", "In the bank file"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"

    RETRYABLE = (Status.PENDING, Status.FAILED)

    party = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payouts")
    account_kind = models.CharField(
        max_length=32,
        choices=LedgerAccount.Kind.choices,
        default=LedgerAccount.Kind.WORKSHOP_PAYABLE,
        help_text="The payable account the money leaves.",
    )
    order_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    reference = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=20)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    source_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=200, unique=True)
    key_generation = models.PositiveIntegerField(
        default=0, help_text="Bumped when the provider stored a failure under the previous key."
    )
    provider_transfer_id = models.CharField(max_length=200, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    reversed_minor = models.BigIntegerField(default=0)
    settlement_run = models.ForeignKey(
        "billing.SettlementRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts",
        help_text="The run that claimed this payout (set once, by compare-and-swap).",
    )
    processing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker claimed it for sending (the sweeper reads it).",
    )
    bank_file = models.ForeignKey(
        "billing.BankFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts",
        help_text="The SEPA file that exported this payout (set once, by compare-and-swap).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(reversed_minor__gte=0)
                & Q(reversed_minor__lte=models.F("amount_minor")),
                name="payout_reversal_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payout {self.idempotency_key} to {self.party} ({self.amount})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def provider_key(self) -> str:
        """The idempotency key sent to the provider for the current attempt generation."""
        if self.key_generation == 0:
            return self.idempotency_key
        return f"{self.idempotency_key}~{self.key_generation}"


# -- shares and settlement runs -------------------------------------------------------------
class ShareRecord(AppendOnlyModel):
    """What one party (or the platform fee, or the customer rebate) got from an order's split.

    Written by ``funds_release`` in the same transaction as the release posting, so
    statements and invoices read the split as it was released and never recompute it.
    For one order the records' payables add up to the customer price: parties' payables,
    one ``platform`` record (the fee) and one ``rebate`` record (owed back to the customer).
    """

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", "Workshop step"
        CARRIER = "carrier", "Carrier leg"
        PLATFORM = "platform", "Platform fee"
        REBATE = "rebate", "Customer rebate"

    order_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=100, help_text="The order's human reference.")
    customer = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="share_records",
        help_text="The party paid; empty for the platform fee; the customer for the rebate.",
    )
    party_id = models.CharField(max_length=100, help_text="E.g. 'job-12' or 'leg-3'.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=300, blank=True)
    price_minor = models.BigIntegerField(default=0)
    margin_share_minor = models.BigIntegerField(default=0)
    forfeited_minor = models.BigIntegerField(default=0)
    payable_minor = models.BigIntegerField()
    margin_minor = models.BigIntegerField(default=0, help_text="The order's whole margin.")
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    explanation = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_id", "party_id"], name="share_record_unique"),
            models.CheckConstraint(
                condition=Q(payable_minor__gte=0), name="share_record_payable_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.party_id}: {self.payable}"

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    @property
    def margin_share(self) -> Money:
        return Money(self.margin_share_minor, self.currency)

    @property
    def forfeited(self) -> Money:
        return Money(self.forfeited_minor, self.currency)

    @property
    def payable(self) -> Money:
        return Money(self.payable_minor, self.currency)


class SettlementRun(models.Model):
    """A run that pays every released, unpaid payout due up to its ``cutoff``, once.

    Several runs a day are fine: each claims, by compare-and-swap, the payouts no run holds
    yet. At most one run per (currency, provider) is ``running`` at a time (a partial unique
    constraint), so two operators starting at once share one run. A ``partial`` run is
    retried until nothing is left unpaid; a run left ``running`` by a crashed worker is
    turned ``partial`` by the sweeper.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PARTIAL = "partial", "Partly paid"
        COMPLETED = "completed", "Completed"

    cutoff = models.DateTimeField(
        default=timezone.now, help_text="The run claims payouts released up to this moment."
    )
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for the daily run (settle_due).",
    )
    started_at = models.DateTimeField(
        default=timezone.now, help_text="When the last attempt started (the sweeper reads it)."
    )
    attempts = models.PositiveIntegerField(default=1, help_text="First run plus retries.")
    payouts_count = models.PositiveIntegerField(default=0)
    paid_count = models.PositiveIntegerField(default=0)
    submitted_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0, help_text="All payouts of the run.")
    paid_minor = models.BigIntegerField(default=0)
    submitted_minor = models.BigIntegerField(default=0, help_text="In the bank file.")
    failed_minor = models.BigIntegerField(default=0, help_text="Still to pay.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "provider"],
                condition=Q(status="running"),
                name="settlement_run_one_running",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Settlement #{self.pk} {self.currency} up to "
            f"{timezone.localtime(self.cutoff):%Y-%m-%d %H:%M} "
            f"({self.provider}, {self.get_status_display()})"
        )

    @property
    def is_retryable(self) -> bool:
        return self.status == self.Status.PARTIAL

    def _display(self, minor: int) -> str:
        """Formatted for pages; a run stored with a currency we do not know still shows."""
        try:
            amount = Money(minor, self.currency)
        except MoneyError:
            return f"{minor} {self.currency} (minor units)"
        return f"{amount.amount:,.{amount.exponent}f} {amount.currency}"

    @property
    def total_display(self) -> str:
        return self._display(self.total_minor)

    @property
    def paid_display(self) -> str:
        return self._display(self.paid_minor)

    @property
    def submitted_display(self) -> str:
        return self._display(self.submitted_minor)

    @property
    def failed_display(self) -> str:
        return self._display(self.failed_minor)


class SettlementItem(models.Model):
    """The outcome of one payout in a run, as of its last attempt there."""

    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="items")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="settlement_items")
    status = models.CharField(max_length=20, choices=Payout.Status.choices)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "payout"], name="settlement_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.payout_id}: {self.status}"


class BankAccount(models.Model):
    """Where a party wants manual (bank) payouts sent: IBAN and BIC, checked with schwifty.

    Kept by billing and keyed by the organization, apart from ``ConnectedAccount``: that row
    is a provider's account (Stripe), created by onboarding with a provider id, while bank
    details belong to the party whatever provider pays it and are what the SEPA file needs.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="bank_account"
    )
    holder_name = models.CharField(
        max_length=70, help_text="The account holder, as the bank knows it."
    )
    iban = models.CharField(max_length=34, help_text="Compact, upper case.")
    bic = models.CharField(max_length=11, help_text="Compact, upper case.")
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization}: {self.iban_display}"

    @property
    def iban_display(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


class BankFile(models.Model):
    """A SEPA credit transfer file (pain.001) of manual payouts, exported once.

    Its payouts are claimed by compare-and-swap on ``Payout.bank_file``, so no payout is in
    two files. The XML is stored: downloading it again is an explicit re-export, counted.
    """

    message_id = models.CharField(max_length=35, unique=True)
    run = models.ForeignKey(
        SettlementRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_files"
    )
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    content = models.TextField(help_text="The pain.001 XML.")
    payouts_count = models.PositiveIntegerField(default=0)
    transfers_count = models.PositiveIntegerField(default=0, help_text="One per beneficiary.")
    total_minor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    export_count = models.PositiveIntegerField(
        default=0, help_text="Downloads; more than one is a re-export."
    )
    last_exported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"SEPA file {self.message_id} ({self.transfers_count} transfers)"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


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
