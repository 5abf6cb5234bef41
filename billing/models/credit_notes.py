"""Credit notes to customers: one numbered document per refund, in its own gapless sequence."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Organization
from billing.models.columns import CURRENCY_LENGTH, MoneyColumn
from billing.models.payments import Refund

CREDIT_NOTE_PREFIX = "CN"


class CreditNote(models.Model):
    """The customer's credit note for one succeeded refund (``CN-<year>-<sequence>``).

    Issued once per refund (``refund`` is unique) by ``billing.credit_notes.credit_note_issue``,
    which takes the next ``sequence`` of the year in a transaction; the unique constraints make
    a concurrent issuer of the same number or the same refund fail and retry, so numbers are
    never shared and never skipped. Amounts and texts are copied at issue: the document does
    not change when the refund row does.
    """

    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="credit_note")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="The customer credited (the payment's payer).",
    )
    order_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=100, help_text="The order's human reference.")
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=32, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    amount = MoneyColumn("amount_minor")
    vat_minor = models.BigIntegerField(default=0, help_text="The VAT this note reverses.")
    vat = MoneyColumn("vat_minor")
    reason = models.CharField(max_length=300, blank=True)
    refunded_at = models.DateTimeField()
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence"], name="credit_note_unique_sequence"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="credit_note_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.amount}, {self.reference})"

    @staticmethod
    def format_number(year: int, sequence: int) -> str:
        return f"{CREDIT_NOTE_PREFIX}-{year}-{sequence:06d}"
