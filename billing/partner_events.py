"""What a party's systems hear of its money: `payout.paid`, to the organization paid."""

from __future__ import annotations

from typing import TypedDict

from accounts.webhooks.services import webhook_emit
from billing.models import Payout


class PayoutData(TypedDict):
    id: int
    reference: str
    amount: dict
    order_id: int | None
    paid_at: str | None


def payout_data(payout: Payout) -> PayoutData:
    return PayoutData(
        id=payout.pk,
        reference=payout.reference or payout.idempotency_key,
        amount={"amount_minor": payout.amount_minor, "currency": payout.currency},
        order_id=payout.order_id,
        paid_at=payout.paid_at.isoformat() if payout.paid_at else None,
    )


def payout_paid_emit(payout: Payout) -> None:
    """Inside the transaction that marked the payout paid."""
    webhook_emit(
        event_type="payout.paid",
        organization_ids=[payout.party_id],
        data=lambda: {"payout": payout_data(payout)},
    )
