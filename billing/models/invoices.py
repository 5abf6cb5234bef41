"""VAT invoices and their credit notes, numbered gap-less per issuer, series and year."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from accounts.models import Organization
from billing.models.columns import CURRENCY_LENGTH, MoneyColumn


class CheckoutDetails(models.Model):
    """What the customer gave at checkout for one order: who is billed, where, under which
    VAT ID and purchase order number, and that the terms were accepted. Copied onto the
    invoice when it is issued; the order knows nothing of it (billing keys it by order id)."""

    order_id = models.PositiveBigIntegerField(unique=True)
    reference = models.CharField(max_length=100)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="checkout_details"
    )
    billing_name = models.CharField(max_length=200)
    billing_lines = models.JSONField(default=list, help_text="Street, postcode and city, country.")
    billing_country = models.CharField(max_length=2)
    vat_id = models.CharField(max_length=20, blank=True, help_text="Compact, checked; or empty.")
    po_number = models.CharField(max_length=60, blank=True)
    delivery_lines = models.JSONField(default=list)
    delivery_country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO code of where the goods go: it decides the VAT (export, domestic, "
        "intra-Community). Empty for orders billed before it was recorded.",
    )
    payment_provider = models.CharField(max_length=20)
    terms_accepted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Checkout of {self.reference}"


class InvoiceCounter(models.Model):
    """The last number given in one issuer's series for one year. Issuing locks this row
    (``select_for_update``) and takes ``last + 1`` in the same transaction as the document,
    so a rollback gives the number back and two issuers never share one: no gaps, no twins."""

    issuer_key = models.CharField(max_length=40)
    series = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_key", "series", "year"], name="invoice_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer_key} {self.series} {self.year}: {self.last}"


class Invoice(models.Model):
    """An invoice or a credit note cancelling one, as issued: parties, lines and totals are
    copied at issue and never change. A mistake is corrected by a credit note (never by
    deleting or renumbering), so the series has no gap."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    issuer_key = models.CharField(max_length=40, help_text="'platform' or 'org-<id>'.")
    issuer_name = models.CharField(max_length=200)
    issuer_lines = models.JSONField(default=list)
    issuer_country = models.CharField(max_length=2)
    issuer_vat_id = models.CharField(max_length=20)
    buyer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invoices")
    buyer_name = models.CharField(max_length=200)
    buyer_lines = models.JSONField(default=list)
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_vat_id = models.CharField(max_length=20, blank=True)
    order_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=100)
    po_number = models.CharField(max_length=60, blank=True)
    series = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    net_minor = models.BigIntegerField()
    vat_minor = models.BigIntegerField()
    gross_minor = models.BigIntegerField()
    net = MoneyColumn("net_minor")
    vat = MoneyColumn("vat_minor")
    gross = MoneyColumn("gross_minor")
    treatment = models.CharField(max_length=20)
    mention = models.CharField(max_length=200, blank=True)
    credits = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_note",
        help_text="The invoice this credit note cancels.",
    )
    reason = models.CharField(max_length=300, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_key", "series", "year", "sequence"], name="invoice_unique_sequence"
            ),
            models.UniqueConstraint(fields=["issuer_key", "number"], name="invoice_unique_number"),
            models.CheckConstraint(
                condition=Q(gross_minor=F("net_minor") + F("vat_minor")),
                name="invoice_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credits__isnull=True)
                | Q(kind="credit_note", credits__isnull=False),
                name="invoice_credit_note_credits_an_invoice",
            ),
            models.UniqueConstraint(
                fields=["order_id", "issuer_key"],
                condition=Q(kind="invoice"),
                name="invoice_one_per_order_and_issuer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    net_minor = models.BigIntegerField()
    rate_bp = models.PositiveIntegerField(help_text="VAT rate in basis points (19 % = 1900).")
    vat_minor = models.BigIntegerField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")
        ]

    def __str__(self) -> str:
        return self.description
