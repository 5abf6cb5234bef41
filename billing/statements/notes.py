"""The free sentences under a statement's lines: the caller's, what other apps answer to
``statement_notes`` (the marketplace's dispute decisions), and billing's own note on a
shortfall the platform paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from billing.money import Money
from billing.signals import statement_notes


def notes_with_others(
    *, order_ids: list[int], notes: Mapping[int, Sequence[str]] | None
) -> dict[int, list[str]]:
    """The caller's notes plus what other apps say about the orders (``statement_notes``)."""
    merged = {order_id: list(lines) for order_id, lines in (notes or {}).items()}
    if not order_ids:
        return merged
    for _receiver, answer in statement_notes.send(sender=None, order_ids=order_ids):
        for order_id, lines in (answer or {}).items():
            merged.setdefault(order_id, []).extend(lines)
    return merged


def covered_note(covered: Money | None) -> list[str]:
    """Billing's own note when the platform paid part of the order (a shortfall), so no reader
    takes the covered amount for something the customer owes."""
    if covered is None or not covered.minor:
        return []
    return [
        f"The platform paid {covered} of this order itself (a shortfall: the accepted work "
        "cost more than the order held); the customer was not charged for it."
    ]
