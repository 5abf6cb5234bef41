"""Helpers for the VAT collection tests: a sold order paid with its VAT, and its VAT balance."""

from __future__ import annotations

from django.db.models import Sum

from billing import services
from billing.invoicing import LineSpec, order_sale
from billing.models import LedgerAccount, LedgerEntry, Payment
from tests.billing.invoice_story import checkout_for

_next_order_id = iter(range(500_000, 10**9))


def sold_and_paid(
    buyer, lines: list[LineSpec], *, country: str | None = "DE", vat_id: str = ""
) -> Payment:
    """An order of ``lines`` priced for VAT (checkout details in ``country``; None: placed
    without checkout), its manual payment opened for the gross and confirmed."""
    if country is None:
        order_id = next(_next_order_id)
    else:
        order_id = checkout_for(buyer, country=country, vat_id=vat_id)
    sale = order_sale(order_id=order_id, buyer_organization=buyer, lines=lines, currency="EUR")
    payment, _ = services.payment_start(
        order_id=order_id,
        reference=f"CF-2026-{order_id:05d}",
        amount=sale.gross,
        payer=buyer,
        customer_email="buyer@example.com",
        provider="manual",
        sale=sale,
    )
    return services.payment_confirm(
        payment=payment, amount=payment.amount, provider_reference="bank"
    )


def vat_payable_for(order_id: int) -> int:
    """The order's VAT payable balance in minor units (collected less given back)."""
    total = LedgerEntry.objects.filter(
        transaction__order_id=order_id, account__kind=LedgerAccount.Kind.VAT_PAYABLE
    ).aggregate(total=Sum("amount_minor"))["total"]
    return total or 0
