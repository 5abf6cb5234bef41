"""The append-only double-entry ledger: accounts, balanced transactions, their entries, shares."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Organization
from billing.errors import ImmutableRecord
from billing.models.columns import CURRENCY_LENGTH, MoneyColumn


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
        VAT_PAYABLE = "vat_payable", "VAT collected, owed to the tax office"

    PLATFORM_KINDS = (
        Kind.PLATFORM_REVENUE,
        Kind.PROVIDER_CLEARING,
        Kind.DISPUTES,
        Kind.PROVIDER_FEES,
        Kind.VAT_PAYABLE,
    )
    # What the platform owes a party (workshop or carrier) until its payout is paid.
    PAYABLE_KINDS = (Kind.WORKSHOP_PAYABLE, Kind.CARRIER_PAYABLE)

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
        SUBSIDY = "subsidy", "Shortfall covered by the platform"

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
    amount = MoneyColumn("amount_minor")

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
    price = MoneyColumn("price_minor")
    margin_share = MoneyColumn("margin_share_minor")
    forfeited = MoneyColumn("forfeited_minor")
    payable = MoneyColumn("payable_minor")
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
