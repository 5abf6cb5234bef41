"""Customer invoices with VAT, their credit notes, proformas, and the checkout details.

The invoicing model (docs/billing.md): the platform sells to the customer in its own name
as a commission agent (Art. 28 Directive 2006/112/EC) for the whole order — production by
the workshops, transport by the carriers and its own fee — so the customer gets one invoice
per order from one issuer, the platform; workshops and carriers are paid on self-billing
credit notes (``billing.pdf.credit_note_pdf``).

Numbers: ``<series>-<year>-<sequence>`` per issuer (``issuer_key``), series ``INV`` for
invoices and ``CRN`` for the credit notes that cancel them. Each is taken from a locked
``InvoiceCounter`` row in the transaction that writes the document, so the sequence of every
issuer, series and year is 1, 2, 3 … with no gap and no duplicate, under any concurrency.
A document is never deleted: an invoice is cancelled by a credit note with every line negated.

VAT: per line at the rule ``billing.vat.vat_rule`` gives (the seller's standard rate, or
0 with the reverse-charge mention), rounded half-up per line; the totals are the sums.
``sale_price`` is the one place that does it: the payment is opened for its gross (priced
when the order is placed, ``order_sale``) and the invoice is issued from the very lines the
payment was priced on, so what the invoice asks for is what the payment collects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import is_member_of, is_operator
from accounts.vat_ids import VatId, VatIdInvalid, vat_id_parse
from billing.errors import Conflict, NotFound
from billing.models import (
    CheckoutDetails,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    Refund,
)
from billing.money import Money
from billing.vat import VatRule, vat_of_line, vat_rule

PLATFORM_ISSUER = "platform"
SERIES_INVOICE = "INV"
SERIES_CREDIT = "CRN"


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One line to invoice: what, and its net amount (VAT is added by the rule)."""

    description: str
    net: Money


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    lines: list[str]
    country: str
    vat_id: str = ""


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    net: Money
    rate_bp: int
    vat: Money


@dataclass(frozen=True, slots=True)
class Document:
    """An invoice, credit note or proforma as printed (a proforma is never stored)."""

    title: str
    number: str
    reference: str
    po_number: str
    seller: Party
    buyer: Party
    issued_at: datetime
    lines: list[DocumentLine]
    net: Money
    vat: Money
    gross: Money
    mention: str = ""
    credits_number: str = ""
    notes: list[str] = field(default_factory=list)


def platform_seller() -> Party:
    return Party(
        name=settings.INVOICE_SELLER_NAME,
        lines=list(settings.INVOICE_SELLER_ADDRESS),
        country=settings.INVOICE_SELLER_COUNTRY.upper(),
        vat_id=settings.INVOICE_SELLER_VAT_ID,
    )


def checkout_details_record(
    *,
    order_id: int,
    reference: str,
    organization: Organization,
    billing_name: str,
    billing_lines: Sequence[str],
    billing_country: str,
    vat_id: str,
    po_number: str,
    delivery_lines: Sequence[str],
    delivery_country: str,
    payment_provider: str,
) -> CheckoutDetails:
    """Keep what the customer confirmed at checkout (idempotent per order). A VAT ID is
    stored compact and only if valid: VatIdInvalid otherwise, nothing written."""
    compact = vat_id_parse(vat_id).number if vat_id.strip() else ""
    details, _created = CheckoutDetails.objects.get_or_create(
        order_id=order_id,
        defaults={
            "reference": reference,
            "organization": organization,
            "billing_name": billing_name.strip(),
            "billing_lines": [line for line in billing_lines if line],
            "billing_country": billing_country.upper(),
            "vat_id": compact,
            "po_number": po_number.strip(),
            "delivery_lines": [line for line in delivery_lines if line],
            "delivery_country": delivery_country.upper(),
            "payment_provider": payment_provider,
            "terms_accepted_at": timezone.now(),
        },
    )
    return details


def order_buyer_record(
    *,
    order_id: int,
    reference: str,
    organization: Organization,
    payment_provider: str,
    delivery_country: str,
) -> CheckoutDetails | None:
    """Keep who the order is billed to, as the order is placed: the checkout's details if it
    went through checkout (recorded just before), else a copy of the organization's billing
    profile; None when it has neither (it is then invoiced to its name at the domestic rate).

    The copy is what the payment is priced on and what the invoice names, so a profile
    edited between ordering and paying changes neither. Idempotent per order.
    """
    from accounts.billing_profiles import billing_profile_of
    from billing.providers import default_provider_name

    existing = checkout_details_for(order_id=order_id)
    if existing is not None:
        return existing
    profile = billing_profile_of(organization=organization)
    if profile is None:
        return None
    details, _created = CheckoutDetails.objects.get_or_create(
        order_id=order_id,
        defaults={
            "reference": reference,
            "organization": organization,
            "billing_name": profile.legal_name,
            "billing_lines": profile.lines,
            "billing_country": profile.country,
            "vat_id": profile.vat_id,
            "po_number": "",
            "delivery_lines": [],
            "delivery_country": delivery_country.upper(),
            "payment_provider": payment_provider or default_provider_name(),
            # Placing an order (API, quick order) accepts the terms of sale as checkout does.
            "terms_accepted_at": timezone.now(),
        },
    )
    return details


def buyer_of(*, organization: Organization, details: CheckoutDetails | None) -> Party:
    if details is None:
        return Party(name=organization.name, lines=[], country="")
    return Party(
        name=details.billing_name,
        lines=list(details.billing_lines),
        country=details.billing_country,
        vat_id=details.vat_id,
    )


def rule_for(*, seller: Party, buyer: Party, delivery_country: str = "") -> VatRule:
    buyer_vat: VatId | None = None
    if buyer.vat_id:
        try:
            buyer_vat = vat_id_parse(buyer.vat_id)
        except VatIdInvalid:
            buyer_vat = None
    return vat_rule(
        seller_country=seller.country,
        buyer_country=buyer.country or seller.country,
        buyer_vat=buyer_vat,
        delivery_country=delivery_country,
    )


def priced_lines(lines: Sequence[LineSpec], rule: VatRule) -> list[DocumentLine]:
    priced = []
    for line in lines:
        vat = Money(vat_of_line(line.net.minor, rule.rate_bp), line.net.currency)
        priced.append(DocumentLine(line.description, line.net, rule.rate_bp, vat))
    return priced


@dataclass(frozen=True, slots=True)
class Sale:
    """A sale priced for VAT: its rule, its lines with their VAT, and the totals."""

    rule: VatRule
    lines: list[DocumentLine]
    net: Money
    vat: Money

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    def lines_json(self) -> list[dict]:
        """The lines as a payment keeps them (``Payment.sale_lines``)."""
        return [
            {"description": line.description, "net_minor": line.net.minor, "rate_bp": line.rate_bp}
            for line in self.lines
        ]


def sale_price(
    *,
    seller: Party,
    buyer: Party,
    lines: Sequence[LineSpec],
    currency: str,
    delivery_country: str = "",
) -> Sale:
    """The VAT of a sale: per line, half-up, at the rule of these parties and of where the
    goods go; the totals are the sums. The proforma, the payment's amount and the invoice all
    come from here."""
    rule = rule_for(seller=seller, buyer=buyer, delivery_country=delivery_country)
    priced = priced_lines(lines, rule)
    net = sum((line.net.minor for line in priced), 0)
    vat = sum((line.vat.minor for line in priced), 0)
    return Sale(rule=rule, lines=priced, net=Money(net, currency), vat=Money(vat, currency))


def order_sale(
    *, order_id: int, buyer_organization: Organization, lines: Sequence[LineSpec], currency: str
) -> Sale:
    """The order's sale as it will be invoiced: the buyer of its checkout details (recorded in
    the order's transaction, before this is called, from the checkout or the billing profile)
    or else the organization without a profile, which pays the seller's domestic rate."""
    details = checkout_details_for(order_id=order_id)
    return sale_price(
        seller=platform_seller(),
        buyer=buyer_of(organization=buyer_organization, details=details),
        lines=lines,
        currency=currency,
        delivery_country=details.delivery_country if details else "",
    )


def _paid_lines(*, order_id: int, currency: str) -> list[LineSpec] | None:
    """The lines the order's payment was priced on: its confirmed payment's, else its latest
    payment's; None for a payment opened before payments kept their lines."""
    payments = Payment.objects.filter(order_id=order_id, currency=currency).exclude(sale_lines=[])
    payment = (
        payments.filter(confirmed_amount_minor__gt=0).order_by("-pk").first()
        or payments.order_by("-pk").first()
    )
    if payment is None:
        return None
    return [
        LineSpec(line["description"], Money(line["net_minor"], currency))
        for line in payment.sale_lines
    ]


def proforma(
    *,
    reference: str,
    po_number: str,
    buyer: Party,
    lines: Sequence[LineSpec],
    currency: str,
    delivery_country: str,
) -> Document:
    """The proforma invoice: the invoice the order will get, without a number of the series
    (a proforma is not a tax document and must not consume one)."""
    seller = platform_seller()
    sale = sale_price(
        seller=seller,
        buyer=buyer,
        lines=lines,
        currency=currency,
        delivery_country=delivery_country,
    )
    rule, priced, net, vat = sale.rule, sale.lines, sale.net, sale.vat
    return Document(
        title="Proforma invoice",
        number=f"PF-{reference}",
        reference=reference,
        po_number=po_number,
        seller=seller,
        buyer=buyer,
        issued_at=timezone.now(),
        lines=priced,
        net=net,
        vat=vat,
        gross=net + vat,
        mention=rule.mention,
        notes=["This is not a VAT invoice. The invoice follows once the payment arrives."],
    )


def _next_number(*, issuer_key: str, series: str, year: int) -> int:
    """The next sequence of the series; the caller's transaction holds the counter's lock."""
    InvoiceCounter.objects.get_or_create(issuer_key=issuer_key, series=series, year=year)
    counter = InvoiceCounter.objects.select_for_update().get(
        issuer_key=issuer_key, series=series, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def invoice_issue(
    *,
    order_id: int,
    reference: str,
    buyer_organization: Organization,
    lines: Sequence[LineSpec],
    currency: str,
) -> Invoice:
    """The order's invoice from the platform, numbered next in its series (idempotent: an
    order already invoiced returns its invoice). Buyer data come from the checkout details,
    or the organization's name for an order placed without checkout. The lines are those its
    payment was priced on (``lines`` only for a payment that kept none), so the invoice's
    total is what the payment collected."""
    lines = _paid_lines(order_id=order_id, currency=currency) or lines
    if not lines:
        raise Conflict("An invoice needs at least one line.")
    existing = Invoice.objects.filter(
        order_id=order_id, issuer_key=PLATFORM_ISSUER, kind=Invoice.Kind.INVOICE
    ).first()
    if existing is not None:
        return existing
    details = checkout_details_for(order_id=order_id)
    seller = platform_seller()
    buyer = buyer_of(organization=buyer_organization, details=details)
    sale = sale_price(
        seller=seller,
        buyer=buyer,
        lines=lines,
        currency=currency,
        delivery_country=details.delivery_country if details else "",
    )
    rule, priced, net, vat = sale.rule, sale.lines, sale.net, sale.vat
    now = timezone.now()
    with transaction.atomic():
        # A concurrent issuer of the same order waits here and then finds the invoice.
        sequence = _next_number(issuer_key=PLATFORM_ISSUER, series=SERIES_INVOICE, year=now.year)
        existing = Invoice.objects.filter(
            order_id=order_id, issuer_key=PLATFORM_ISSUER, kind=Invoice.Kind.INVOICE
        ).first()
        if existing is not None:
            transaction.set_rollback(True)  # gives the number back
            return existing
        invoice = Invoice.objects.create(
            kind=Invoice.Kind.INVOICE,
            issuer_key=PLATFORM_ISSUER,
            issuer_name=seller.name,
            issuer_lines=seller.lines,
            issuer_country=seller.country,
            issuer_vat_id=seller.vat_id,
            buyer=buyer_organization,
            buyer_name=buyer.name,
            buyer_lines=buyer.lines,
            buyer_country=buyer.country,
            buyer_vat_id=buyer.vat_id,
            order_id=order_id,
            reference=reference,
            po_number=details.po_number if details else "",
            series=SERIES_INVOICE,
            year=now.year,
            sequence=sequence,
            number=f"{SERIES_INVOICE}-{now.year}-{sequence:06d}",
            currency=currency,
            net_minor=net.minor,
            vat_minor=vat.minor,
            gross_minor=net.minor + vat.minor,
            treatment=rule.treatment,
            mention=rule.mention,
            issued_at=now,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                description=line.description[:300],
                net_minor=line.net.minor,
                rate_bp=line.rate_bp,
                vat_minor=line.vat.minor,
            )
            for position, line in enumerate(priced, start=1)
        )
    return invoice


def invoice_cancel(*, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an invoice by a credit note in the issuer's credit series: every line negated,
    referencing the invoice. Idempotent: a cancelled invoice returns its credit note.

    Refused once money of the order went back: each refund's credit note already took its
    share of the invoice's VAT back, and a cancellation of every line would take it twice.
    """
    if invoice.kind != Invoice.Kind.INVOICE:
        raise Conflict("Only an invoice can be cancelled by a credit note.")
    if not reason.strip():
        raise Conflict("Say why the invoice is cancelled.")
    now = timezone.now()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        existing = Invoice.objects.filter(credits=locked).first()
        if existing is not None:
            return existing
        if Refund.objects.filter(
            payment__order_id=locked.order_id,
            currency=locked.currency,
            status=Refund.Status.SUCCEEDED,
        ).exists():
            raise Conflict(
                f"Invoice {locked.number} cannot be cancelled: part of its order was refunded, "
                "and the refund's credit note already corrects it. Cancelling every line "
                "would credit that VAT twice."
            )
        sequence = _next_number(issuer_key=locked.issuer_key, series=SERIES_CREDIT, year=now.year)
        fields = {
            name: getattr(locked, name)
            for name in (
                "issuer_key",
                "issuer_name",
                "issuer_lines",
                "issuer_country",
                "issuer_vat_id",
                "buyer",
                "buyer_name",
                "buyer_lines",
                "buyer_country",
                "buyer_vat_id",
                "order_id",
                "reference",
                "po_number",
                "currency",
                "treatment",
                "mention",
            )
        }
        note = Invoice.objects.create(
            **fields,
            kind=Invoice.Kind.CREDIT_NOTE,
            series=SERIES_CREDIT,
            year=now.year,
            sequence=sequence,
            number=f"{SERIES_CREDIT}-{now.year}-{sequence:06d}",
            net_minor=-locked.net_minor,
            vat_minor=-locked.vat_minor,
            gross_minor=-locked.gross_minor,
            credits=locked,
            reason=reason.strip()[:300],
            issued_at=now,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=note,
                position=line.position,
                description=line.description,
                net_minor=-line.net_minor,
                rate_bp=line.rate_bp,
                vat_minor=-line.vat_minor,
            )
            for line in locked.lines.all()
        )
    return note


def document_of(invoice: Invoice) -> Document:
    """The stored invoice or credit note as printed."""
    currency = invoice.currency
    lines = [
        DocumentLine(
            line.description,
            Money(line.net_minor, currency),
            line.rate_bp,
            Money(line.vat_minor, currency),
        )
        for line in invoice.lines.all()
    ]
    credited = invoice.credits
    return Document(
        title="Invoice" if invoice.kind == Invoice.Kind.INVOICE else "Credit note",
        number=invoice.number,
        reference=invoice.reference,
        po_number=invoice.po_number,
        seller=Party(
            invoice.issuer_name, invoice.issuer_lines, invoice.issuer_country, invoice.issuer_vat_id
        ),
        buyer=Party(
            invoice.buyer_name, invoice.buyer_lines, invoice.buyer_country, invoice.buyer_vat_id
        ),
        issued_at=invoice.issued_at,
        lines=lines,
        net=invoice.net,
        vat=invoice.vat,
        gross=invoice.gross,
        mention=invoice.mention,
        credits_number=credited.number if credited else "",
        notes=[f"Reason: {invoice.reason}"] if invoice.reason else [],
    )


def invoices_for_order(*, order_id: int) -> list[Invoice]:
    """The order's invoices and credit notes, oldest first (for the order page)."""
    return list(Invoice.objects.filter(order_id=order_id).order_by("issued_at", "id"))


def checkout_details_for(*, order_id: int) -> CheckoutDetails | None:
    return CheckoutDetails.objects.filter(order_id=order_id).first()


def invoice_get_for_user(*, user, invoice_id: int) -> Invoice:
    """An invoice the user may read: a member of the buyer, or an operator."""
    invoice = Invoice.objects.select_related("credits").filter(pk=invoice_id).first()
    if invoice is None or not (
        is_member_of(user=user, organization_ids=[invoice.buyer_id]) or is_operator(user=user)
    ):
        raise NotFound("No such invoice.")
    return invoice
