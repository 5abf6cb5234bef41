"""Money out: connected accounts, payouts, settlement runs, bank details and SEPA files."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from billing.models.columns import CURRENCY_LENGTH, MoneyColumn
from billing.models.ledger import LedgerAccount
from billing.models.payments import Payment
from billing.money import Money, MoneyError


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
    amount = MoneyColumn("amount_minor")
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
    def provider_key(self) -> str:
        """The idempotency key sent to the provider for the current attempt generation."""
        if self.key_generation == 0:
            return self.idempotency_key
        return f"{self.idempotency_key}~{self.key_generation}"


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
    total = MoneyColumn("total_minor")
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
