"""The VAT return for operators: a month or a quarter of VAT documents, checked against the ledger.

What the return counts (the documents, by the date they were issued):

- VAT invoices (``INV-``), positive;
- the credit notes that cancel an invoice (``CRN-``), negative: they correct the document;
- refunds to the customer of an invoiced order, each with its refund credit note (``CN-``),
  negative, at the treatment, rate and country of the order's invoice. A refund of a payment
  that was never invoiced (money that arrived for an expired order), or made after its
  invoice was cancelled, credits no invoice and is not a supply: it is left out, as its
  payment is. (Once money went back, an invoice cannot be cancelled: ``invoice_cancel``.)

Rows group them by issuer, currency, country of the buyer, rate and treatment (domestic,
reverse charge, intra-EU without VAT ID, outside the EU). The EU sales list (recapitulative
statement) sums the reverse-charge supplies per buyer VAT ID.

The check: per currency, the VAT of the documents must equal the period's movement of the
ledger's ``vat_payable`` (VAT collected with payments less VAT given back with refunds). They
differ when a document corrects an invoice without money moving (a ``CRN-`` cancellation), or
money moved without a document (a payment not invoiced yet); each order that differs is listed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Sum
from django.utils import timezone

from billing.errors import DomainError
from billing.invoicing import PLATFORM_ISSUER
from billing.models import Invoice, LedgerAccount, LedgerEntry, Payment, Refund
from billing.money import Money
from billing.vat import rate_label

TREATMENT_LABELS = {
    "domestic": "Domestic",
    "reverse_charge": "Reverse charge (EU business)",
    "intra_eu_b2c": "Intra-EU, no VAT ID",
    "export": "Outside the EU",
}
DOCUMENT_KIND_LABELS = {
    "invoice": "Invoice",
    "cancellation": "Credit note cancelling an invoice",
    "refund": "Refund credit note",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class InvalidVatPeriod(DomainError):
    code = "invalid_period"


@dataclass(frozen=True, slots=True)
class VatPeriod:
    """A calendar month (``2026-11``) or quarter (``2026-Q4``); ``end`` is the first day after."""

    key: str
    start: date
    end: date

    @property
    def label(self) -> str:
        if "Q" in self.key:
            return f"{self.key[-2:]} {self.start.year}"
        return self.start.strftime("%B %Y")

    def bounds(self) -> tuple[datetime, datetime]:
        """The period in the site's time zone, end exclusive."""
        return (
            timezone.make_aware(datetime(self.start.year, self.start.month, 1)),
            timezone.make_aware(datetime(self.end.year, self.end.month, 1)),
        )


def vat_period_parse(text: str) -> VatPeriod:
    """``YYYY-MM`` or ``YYYY-Qn``; InvalidVatPeriod with an example otherwise."""
    text = (text or "").strip().upper()
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2999 and 1 <= month <= 12:
            start = date(year, month, 1)
            end = date(year + month // 12, month % 12 + 1, 1)
            return VatPeriod(f"{year}-{month:02d}", start, end)
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        if 2000 <= year <= 2999:
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)
            return VatPeriod(f"{year}-Q{quarter}", start, end)
    raise InvalidVatPeriod(
        f"“{text[:20]}” is not a VAT period: give a month like 2026-11 or a quarter like 2026-Q4."
    )


def vat_periods_recent(*, today: date, months: int = 12, quarters: int = 4) -> list[VatPeriod]:
    """The periods to offer: this month and the months before, then the recent quarters."""
    found = []
    year, month = today.year, today.month
    for _ in range(months):
        found.append(vat_period_parse(f"{year}-{month:02d}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(quarters):
        found.append(vat_period_parse(f"{year}-Q{quarter}"))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


@dataclass(frozen=True, slots=True)
class VatDocument:
    """One document of the return as counted: its amounts per rate (credits negative)."""

    kind: str  # invoice, cancellation, refund
    number: str
    issued_at: datetime
    order_id: int
    reference: str
    issuer: str
    currency: str
    country: str
    treatment: str
    buyer_vat_id: str
    parts: tuple[tuple[int, int, int], ...]  # (rate_bp, net_minor, vat_minor)

    @property
    def net_minor(self) -> int:
        return sum(net for _rate, net, _vat in self.parts)

    @property
    def treatment_label(self) -> str:
        return TREATMENT_LABELS.get(self.treatment, self.treatment)

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KIND_LABELS.get(self.kind, self.kind)

    @property
    def vat_minor(self) -> int:
        return sum(vat for _rate, _net, vat in self.parts)


@dataclass(slots=True)
class ReturnRow:
    issuer: str
    currency: str
    country: str
    rate_bp: int
    treatment: str
    net_minor: int = 0
    vat_minor: int = 0
    documents: int = 0

    @property
    def rate(self) -> str:
        return rate_label(self.rate_bp)

    @property
    def treatment_label(self) -> str:
        return TREATMENT_LABELS.get(self.treatment, self.treatment)


@dataclass(slots=True)
class EuSalesRow:
    issuer: str
    currency: str
    country: str
    vat_id: str
    net_minor: int = 0
    documents: int = 0


@dataclass(frozen=True, slots=True)
class OrderDifference:
    order_id: int
    reference: str
    currency: str
    documents_vat_minor: int
    ledger_vat_minor: int

    @property
    def difference_minor(self) -> int:
        return self.documents_vat_minor - self.ledger_vat_minor


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    """One currency: the documents' VAT against the period's ``vat_payable`` movement."""

    currency: str
    net_minor: int
    documents_vat_minor: int
    ledger_vat_minor: int

    @property
    def difference_minor(self) -> int:
        return self.documents_vat_minor - self.ledger_vat_minor

    @property
    def agrees(self) -> bool:
        return self.difference_minor == 0


@dataclass(slots=True)
class VatReturn:
    period: VatPeriod
    documents: list[VatDocument]
    rows: list[ReturnRow]
    eu_sales: list[EuSalesRow]
    checks: list[LedgerCheck]
    differences: list[OrderDifference] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return all(check.agrees for check in self.checks)


def _invoice_documents(start: datetime, end: datetime) -> list[VatDocument]:
    invoices = Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end).prefetch_related(
        "lines"
    )
    return [_document_of_invoice(invoice) for invoice in invoices.order_by("issued_at", "id")]


def _document_of_invoice(invoice: Invoice) -> VatDocument:
    parts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in invoice.lines.all():
        parts[line.rate_bp][0] += line.net_minor
        parts[line.rate_bp][1] += line.vat_minor
    return VatDocument(
        kind="invoice" if invoice.kind == Invoice.Kind.INVOICE else "cancellation",
        number=invoice.number,
        issued_at=invoice.issued_at,
        order_id=invoice.order_id,
        reference=invoice.reference,
        issuer=invoice.issuer_key,
        currency=invoice.currency,
        country=invoice.buyer_country or invoice.issuer_country,
        treatment=invoice.treatment,
        buyer_vat_id=invoice.buyer_vat_id,
        parts=tuple((rate, net, vat) for rate, (net, vat) in sorted(parts.items())),
    )


def _refund_documents(start: datetime, end: datetime) -> list[VatDocument]:
    """Refunds that went through in the period, of orders with a VAT invoice."""
    refunds = list(
        Refund.objects.filter(
            status=Refund.Status.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
        )
        .select_related("payment", "credit_note")
        .order_by("completed_at", "id")
    )
    order_ids = {refund.payment.order_id for refund in refunds}
    invoices: dict[tuple[int, str], list[Invoice]] = defaultdict(list)
    for invoice in (
        Invoice.objects.filter(
            order_id__in=order_ids, kind=Invoice.Kind.INVOICE, issuer_key=PLATFORM_ISSUER
        )
        .select_related("credit_note")
        .prefetch_related("lines")
        .order_by("issued_at", "id")
    ):
        invoices[(invoice.order_id, invoice.currency)].append(invoice)
    documents = []
    for refund in refunds:
        invoice = _invoice_standing(invoices[(refund.payment.order_id, refund.currency)], refund)
        if invoice is None:
            continue
        rates = sorted({line.rate_bp for line in invoice.lines.all()}) or [0]
        note = getattr(refund, "credit_note", None)
        documents.append(
            VatDocument(
                kind="refund",
                number=note.number if note else f"refund {refund.pk} (credit note not issued yet)",
                issued_at=refund.completed_at,
                order_id=invoice.order_id,
                reference=invoice.reference,
                issuer=invoice.issuer_key,
                currency=refund.currency,
                country=invoice.buyer_country or invoice.issuer_country,
                treatment=invoice.treatment,
                buyer_vat_id=invoice.buyer_vat_id,
                # An order's invoice has one rate (the rule's): the refund is at that rate.
                parts=((rates[-1], -(refund.amount_minor - refund.vat_minor), -refund.vat_minor),),
            )
        )
    return documents


def _invoice_standing(invoices: list[Invoice], refund: Refund) -> Invoice | None:
    """The order's invoice that stood when the money went back. A refund after the invoice
    was cancelled corrects nothing (the cancellation took all of its VAT back): it is left
    out, like a refund of money never invoiced."""
    standing = [
        invoice
        for invoice in invoices
        if not hasattr(invoice, "credit_note")
        or invoice.credit_note.issued_at > (refund.completed_at or refund.created_at)
    ]
    return standing[-1] if standing else None


def _ledger_movement(start: datetime, end: datetime) -> dict[tuple[str, int | None], int]:
    """``vat_payable`` entries of the period summed per (currency, order id)."""
    rows = (
        LedgerEntry.objects.filter(
            account__kind=LedgerAccount.Kind.VAT_PAYABLE,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .values_list("currency", "transaction__order_id")
        .annotate(total=Sum("amount_minor"))
    )
    return {(currency, order_id): total for currency, order_id, total in rows}


def _rows(documents: Iterable[VatDocument]) -> list[ReturnRow]:
    rows: dict[tuple, ReturnRow] = {}
    for document in documents:
        for rate_bp, net, vat in document.parts:
            key = (
                document.issuer,
                document.currency,
                document.country,
                rate_bp,
                document.treatment,
            )
            row = rows.setdefault(key, ReturnRow(*key))
            row.net_minor += net
            row.vat_minor += vat
            row.documents += 1
    return [rows[key] for key in sorted(rows)]


def _eu_sales(documents: Iterable[VatDocument]) -> list[EuSalesRow]:
    rows: dict[tuple, EuSalesRow] = {}
    for document in documents:
        if document.treatment != "reverse_charge":
            continue
        key = (document.issuer, document.currency, document.country, document.buyer_vat_id)
        row = rows.setdefault(key, EuSalesRow(*key))
        row.net_minor += document.net_minor
        row.documents += 1
    return [rows[key] for key in sorted(rows)]


def vat_return(*, period: VatPeriod) -> VatReturn:
    """The period's VAT return, EU sales list and ledger check (reads only; a fixed number of
    queries whatever the number of documents)."""
    start, end = period.bounds()
    documents = sorted(
        _invoice_documents(start, end) + _refund_documents(start, end),
        key=lambda document: (document.issued_at, document.number),
    )
    ledger = _ledger_movement(start, end)
    by_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # net, documents, ledger
    by_order: dict[tuple[str, int | None], list] = defaultdict(lambda: ["", 0, 0])
    for document in documents:
        by_currency[document.currency][0] += document.net_minor
        by_currency[document.currency][1] += document.vat_minor
        order = by_order[(document.currency, document.order_id)]
        order[0] = document.reference
        order[1] += document.vat_minor
    for (currency, order_id), total in ledger.items():
        by_currency[currency][2] += total
        by_order[(currency, order_id)][2] += total
    checks = [
        LedgerCheck(currency, net, vat, moved)
        for currency, (net, vat, moved) in sorted(by_currency.items())
    ]
    unnamed = {
        order_id for (_c, order_id), (reference, _v, _m) in by_order.items() if not reference
    }
    names = dict(
        Payment.objects.filter(order_id__in=unnamed - {None}).values_list("order_id", "reference")
    )
    differences = [
        OrderDifference(order_id or 0, reference or names.get(order_id, ""), currency, vat, moved)
        for (currency, order_id), (reference, vat, moved) in sorted(
            by_order.items(), key=lambda item: (item[0][0], item[0][1] or 0)
        )
        if vat != moved
    ]
    return VatReturn(
        period=period,
        documents=documents,
        rows=_rows(documents),
        eu_sales=_eu_sales(documents),
        checks=checks,
        differences=differences,
    )


def _amount(minor: int, currency: str) -> str:
    return str(Money(minor, currency).amount)


def vat_return_csv(report: VatReturn) -> str:
    """The return as CSV for the accountant: one section per table, amounts in major units."""
    out = io.StringIO()
    write = csv.writer(out).writerow
    write(["VAT return", report.period.key, report.period.start, report.period.end])
    write([])
    write(
        ["section", "issuer", "currency", "country", "rate", "treatment", "net", "vat", "documents"]
    )
    for row in report.rows:
        write(
            [
                "return",
                row.issuer,
                row.currency,
                row.country,
                row.rate,
                row.treatment,
                _amount(row.net_minor, row.currency),
                _amount(row.vat_minor, row.currency),
                row.documents,
            ]
        )
    write([])
    write(["section", "issuer", "currency", "country", "buyer VAT ID", "net", "documents"])
    for sale in report.eu_sales:
        write(
            [
                "eu_sales_list",
                sale.issuer,
                sale.currency,
                sale.country,
                sale.vat_id,
                _amount(sale.net_minor, sale.currency),
                sale.documents,
            ]
        )
    write([])
    write(["section", "currency", "net", "vat documents", "vat ledger", "difference"])
    for check in report.checks:
        write(
            [
                "ledger_check",
                check.currency,
                _amount(check.net_minor, check.currency),
                _amount(check.documents_vat_minor, check.currency),
                _amount(check.ledger_vat_minor, check.currency),
                _amount(check.difference_minor, check.currency),
            ]
        )
    for difference in report.differences:
        write(
            [
                "order_difference",
                difference.currency,
                difference.reference or f"order {difference.order_id}",
                _amount(difference.documents_vat_minor, difference.currency),
                _amount(difference.ledger_vat_minor, difference.currency),
                _amount(difference.difference_minor, difference.currency),
            ]
        )
    write([])
    write(
        [
            "section",
            "number",
            "date",
            "kind",
            "order",
            "currency",
            "country",
            "treatment",
            "net",
            "vat",
        ]
    )
    for document in report.documents:
        write(
            [
                "document",
                document.number,
                document.issued_at.date().isoformat(),
                document.kind,
                document.reference,
                document.currency,
                document.country,
                document.treatment,
                _amount(document.net_minor, document.currency),
                _amount(document.vat_minor, document.currency),
            ]
        )
    return out.getvalue()
