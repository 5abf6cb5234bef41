"""Every document billing issues, for the operators: filters and pages over them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from billing.models import CreditNote, Invoice

DOCUMENT_KINDS = {
    "invoice": "VAT invoices",
    "credit_note": "Credit notes cancelling an invoice",
    "refund": "Credit notes for refunds",
}
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """What the operator asked for; every field is optional and checked, never trusted."""

    kind: str = "invoice"
    year: int | None = None
    search: str = ""

    @classmethod
    def from_query(cls, query) -> DocumentFilter:
        kind = query.get("kind", "invoice")
        year_text = (query.get("year") or "").strip()
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
        search = (query.get("q") or "").replace("\x00", "").strip()[:100]
        return cls(kind=kind if kind in DOCUMENT_KINDS else "invoice", year=year, search=search)


def documents_filtered(*, wanted: DocumentFilter) -> QuerySet:
    """Invoices and credit notes (or refund credit notes), newest first, filtered by year and
    by a number, order reference or customer name containing the search text."""
    if wanted.kind == "refund":
        notes = CreditNote.objects.select_related("organization")
        if wanted.year:
            notes = notes.filter(year=wanted.year)
        if wanted.search:
            notes = notes.filter(
                Q(number__icontains=wanted.search)
                | Q(reference__icontains=wanted.search)
                | Q(organization__name__icontains=wanted.search)
            )
        return notes.order_by("-issued_at", "-id")
    invoices = Invoice.objects.filter(kind=wanted.kind)
    if wanted.year:
        invoices = invoices.filter(year=wanted.year)
    if wanted.search:
        invoices = invoices.filter(
            Q(number__icontains=wanted.search)
            | Q(reference__icontains=wanted.search)
            | Q(buyer_name__icontains=wanted.search)
            | Q(po_number__icontains=wanted.search)
        )
    return invoices.order_by("-issued_at", "-id")
