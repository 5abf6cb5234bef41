"""Helpers for the invoice tests: a customer with checkout details and invoice lines."""

from __future__ import annotations

from billing.invoicing import LineSpec, checkout_details_record
from billing.money import Money

_next_order_id = iter(range(10_000, 10**9))


def lines_of(*minors: int, currency: str = "EUR") -> list[LineSpec]:
    return [LineSpec(f"Line {n}", Money(minor, currency)) for n, minor in enumerate(minors, 1)]


def checkout_for(
    organization,
    *,
    country: str = "DE",
    vat_id: str = "",
    order_id: int | None = None,
    po_number: str = "PO-4711",
    delivery_country: str | None = None,
) -> int:
    """Record checkout details for a new order id and return the id; the goods go to the
    billing country unless ``delivery_country`` says otherwise."""
    order_id = order_id if order_id is not None else next(_next_order_id)
    checkout_details_record(
        order_id=order_id,
        reference=f"CF-2026-{order_id:05d}",
        organization=organization,
        billing_name=f"{organization.name} GmbH",
        billing_lines=["Hauptstraße 1", "70173 Stuttgart", country],
        billing_country=country,
        vat_id=vat_id,
        po_number=po_number,
        delivery_lines=["Goods in", "Munich"],
        delivery_country=delivery_country if delivery_country is not None else country,
        payment_provider="manual",
    )
    return order_id


def pdf_text(content: bytes) -> str:
    """The page streams of a reportlab PDF, inflated, as text (enough to find words in)."""
    import base64
    import re
    import zlib

    assert content.startswith(b"%PDF")
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\s*endstream", content, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):  # reportlab writes ASCII85 over Flate
            data = base64.a85decode(data, adobe=True)
        try:
            chunks.append(zlib.decompress(data))
        except zlib.error:
            chunks.append(data)
    return b"\n".join(chunks).decode("latin-1")
