"""From an order's progress to the money each party is owed, through billing's sharing rule.

Escrow in two stages (docs/billing.md, "Escrow"):

1. **Price on acceptance.** When a party's work is handed over and accepted, its own price
   leaves the funds held: a carrier's leg when the leg is received; a workshop's finished
   steps for a part when the leg leaving that workshop with the part is received (by the
   next workshop or the customer), or when the customer confirms delivery. A leg handed
   over but not confirmed within ``ESCROW_AUTO_RELEASE_DAYS`` counts as accepted.
2. **Margin on completion.** ``order_release`` releases the rest (each party's payable minus
   its price already released, the platform fee, the rebate).

Nothing is released while the order is disputed; every release is idempotent per party.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import is_member_of
from billing import selectors as billing_selectors
from billing import services as billing
from billing.errors import Conflict
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment
from billing.money import Money, sum_money
from billing.sharing import NegativeMargin, OrderSplit, PartyContribution, order_split
from config.errors import DomainError
from marketplace.orders.contributions import (
    HANDED_OVER,
    Party,
    done_jobs,
    job_party,
    leg_party,
    order_contributions,
    order_legs,
)
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import Order, Shipment

logger = logging.getLogger(__name__)

# Orders whose accepted work may have its price released; a disputed order is frozen, a
# completed one is released in full by order_release, the rest were never paid or ended.
PRICE_RELEASABLE = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    }
)


def auto_release_window() -> timedelta:
    return timedelta(days=getattr(settings, "ESCROW_AUTO_RELEASE_DAYS", 7))


def order_parties(*, order: Order) -> tuple[list[PartyContribution], dict[str, Organization]]:
    """The parties the order's money is shared over: everyone whose work was accepted, or,
    after a dispute decision, those the operator chose to pay (and anyone already paid)."""
    parties, organizations = order_contributions(order=order)
    decision = order.dispute_decisions.order_by("-decided_at", "-pk").first()
    if decision is not None:
        released = billing_selectors.released_prices(order_id=order.pk)
        chosen = set(decision.paid_parties) | set(released)
        parties = [p for p in parties if p.party_id in chosen]
    return parties, {p.party_id: organizations[p.party_id] for p in parties}


def order_kept(*, order: Order) -> Money:
    """What the customer's payment still pays for: what is held and not promised back, plus
    the prices already released (refunds, a dispute's among them, shrink it)."""
    available = billing_selectors.available_for_order(order.pk)
    released = billing_selectors.released_prices(order_id=order.pk)
    return available + sum_money(released.values(), available.currency)


def order_split_for(
    *, order: Order, parties: list[PartyContribution] | None = None
) -> tuple[OrderSplit, Money]:
    """The split of what the order keeps, and the shortfall the platform must cover.

    When re-planning raised the cost past the price, or a refund left less than the
    accepted work, the platform gives up its fee first (it promised the price, the parties
    did not), then covers the rest itself: the shortfall (docs/billing.md, "Shortfalls").
    """
    if parties is None:
        parties, _ = order_parties(order=order)
    kept = order_kept(order=order)
    if kept.currency != order.currency:  # nothing was ever posted
        kept = Money(order.price_minor, order.currency)
    fee = Money(order.platform_fee_minor, order.currency)
    cost = sum_money((p.price for p in parties), order.currency)
    shortfall = Money(max(0, cost.minor - kept.minor), order.currency)
    price = kept + shortfall
    try:
        return order_split(customer_price=price, platform_fee=fee, parties=parties), shortfall
    except NegativeMargin:
        fee = Money(max(0, price.minor - cost.minor), order.currency)
        return order_split(customer_price=price, platform_fee=fee, parties=parties), shortfall


def order_release(*, order: Order):
    """Posts the release of what is left of a completed order's funds (the margin shares and
    fee on top of the prices released on acceptance), opens each party's margin payout
    (once), and refunds the customer's rebate. A shortfall is covered by the platform first.
    Refused while the order is disputed."""
    payment = billing_selectors.payment_for_order(order_id=order.pk)
    if payment is None:
        return None
    order.refresh_from_db(fields=["status"])
    parties, organizations = order_parties(order=order)
    split, shortfall = order_split_for(order=order, parties=parties)
    frozen = order.status == OrderStatus.DISPUTED
    if shortfall.minor and not frozen:
        billing.escrow_top_up(
            payment=payment,
            amount=shortfall,
            reason="the accepted work costs more than the order keeps",
            idempotency_key=f"subsidy:{order.pk}:completion",
        )
    posted = billing.funds_release(
        payment=payment, split=split, parties=organizations, frozen=frozen
    )
    rebate_refund(order=order, split=split)
    return posted


def rebate_refund(*, order: Order, split: OrderSplit):
    """Pay the customer its rebate (what lateness and quality took from the margin) back to
    its card or account, once (key ``rebate:<order>``). A provider failure leaves the refund
    pending; the refunds sweeper retries it."""
    if not split.customer_rebate.minor:
        return None
    payment = billing_selectors.payment_for_order(order_id=order.pk)
    if payment is None:
        return None
    try:
        return billing.payment_refund(
            payment=payment,
            amount=split.customer_rebate,
            reason=(
                "Rebate for lateness and quality"
                if split.shares
                else "What the order kept beyond the fee: no party was paid"
            ),
            idempotency_key=f"rebate:{order.pk}",
        )
    except DomainError:
        logger.exception("Rebate of order %s not refunded yet", order.pk)
        return None


# -- stage 1: prices on acceptance ----------------------------------------------------------
def accepted_with_leg(leg: Shipment) -> list[Party]:
    """The parties a leg's acceptance accepts: the leg's carrier and the finished steps of
    its part at the workshop it left. A leg carrying the assembly also accepts the other
    parts' steps done at that workshop with no leg of their own leaving it (they left
    inside the assembly)."""
    currency = leg.order.currency
    parties = [leg_party(leg, currency)]
    jobs = done_jobs(leg.order).filter(workshop_id=leg.origin_id)
    assembly = (leg.order.option.route or {}).get("assembly_job")
    if leg.job_key == assembly:
        own_legs = (
            leg.order.shipments.filter(origin_id=leg.origin_id)
            .exclude(status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED])
            .exclude(job_key=leg.job_key)
            .values_list("job_key", flat=True)
        )
        jobs = jobs.exclude(job_key__in=list(own_legs))
    else:
        jobs = jobs.filter(job_key=leg.job_key)
    parties.extend(job_party(job, currency) for job in jobs.order_by("sequence", "pk"))
    return parties


def release_prices(
    *, order: Order, parties: Iterable[Party], decided: bool = False
) -> list[LedgerTransaction]:
    """Release each party's price once, with the order row locked so that a dispute or the
    completion cannot slip in between the status check and the posting.

    Returns the postings made by this call (parties released before are skipped). Does
    nothing for an order that is disputed (frozen, unless an operator's decision releases
    it: ``decided``), completed (released in full) or was never paid or ended. When the
    order holds less than the accepted work costs (a re-plan raised the cost, a refund),
    the platform covers the difference first (``escrow_top_up``): accepted work is paid.
    """
    already = billing_selectors.released_prices(order_id=order.pk)
    parties = [p for p in parties if p[0].party_id not in already and p[0].price.minor]
    if not parties:
        return []
    posted = []
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        disputed = locked.status == OrderStatus.DISPUTED
        if (disputed and not decided) or (locked.status not in PRICE_RELEASABLE and not disputed):
            return []
        payment = billing_selectors.payment_for_order(order_id=locked.pk)
        if payment is None:
            return []
        released = billing_selectors.released_prices(order_id=locked.pk)
        for contribution, organization in parties:
            if contribution.party_id in released or not contribution.price.minor:
                continue
            available = billing_selectors.available_for_order(locked.pk)
            billing.escrow_top_up(
                payment=payment,
                amount=Money(max(0, contribution.price.minor - available.minor), payment.currency),
                reason=f"accepted work ({contribution.label}) costs more than the order holds",
                idempotency_key=f"subsidy:{locked.pk}:{contribution.party_id}",
            )
            result = billing.share_price_release(
                payment=payment,
                party_id=contribution.party_id,
                organization=organization,
                amount=contribution.price,
                kind=contribution.kind,
                label=contribution.label,
                frozen=False,
            )
            if result is not None:
                posted.append(result)
    return posted


def leg_accepted(leg: Shipment, *, cutoff: datetime) -> bool:
    """A leg is accepted when the receiving side (the next workshop, or the customer)
    confirmed its arrival, or when it was handed over before ``cutoff`` (the window passed).
    A receipt confirmed only by the carrier itself is not an acceptance."""
    if leg.status not in HANDED_OVER:
        return False
    if leg.handed_over_at is not None and leg.handed_over_at < cutoff:
        return True
    if leg.status != Shipment.Status.DELIVERED:
        return False
    if leg.received_by_id is None:  # recorded without a person (imports, operators' fixes)
        return True
    return is_member_of(user=leg.received_by, organization_ids=[leg.receiver_organization_id])


def release_on_handover(*, shipment: Shipment) -> list[LedgerTransaction]:
    """A leg was received (``shipment_receive``): when the receiving side confirmed it,
    release the carrier's price and the prices of the finished steps it carried away from
    their workshop. Idempotent."""
    shipment = Shipment.objects.select_related(
        "order__option", "carrier__organization", "origin", "destination"
    ).get(pk=shipment.pk)
    if not leg_accepted(shipment, cutoff=timezone.now() - auto_release_window()):
        return []
    return release_prices(order=shipment.order, parties=accepted_with_leg(shipment))


def release_on_delivery(*, order: Order) -> list[LedgerTransaction]:
    """The customer confirmed delivery (``order_confirm_delivery``): everything made and
    carried for the order is accepted, so every finished step's and handed-over leg's price
    is released (the last workshop's among them). Idempotent; only for a delivered order."""
    order = Order.objects.select_related("option").get(pk=order.pk)
    if order.status != OrderStatus.DELIVERED:
        return []
    currency = order.currency
    parties = [job_party(job, currency) for job in done_jobs(order)]
    handed_over = order_legs(order).filter(status__in=HANDED_OVER)
    parties += [leg_party(leg, currency) for leg in handed_over]
    return release_prices(order=order, parties=parties)


def release_overdue(*, now: datetime) -> list[LedgerTransaction]:
    """The escrow timer (run from ``orders_housekeeping``): a leg handed over more than
    ``ESCROW_AUTO_RELEASE_DAYS`` ago and not confirmed by the receiving side counts as
    accepted; a leg the receiving side confirmed whose release was missed (the order was
    disputed then, or a worker died after the receipt) is released now. Orders that are
    disputed, completed or ended are skipped. Returns the postings made."""
    cutoff = now - auto_release_window()
    legs = (
        Shipment.objects.filter(order__status__in=list(PRICE_RELEASABLE))
        .filter(
            Q(status=Shipment.Status.DELIVERED)
            | Q(status=Shipment.Status.IN_TRANSIT, handed_over_at__lt=cutoff)
        )
        .select_related("order__option", "carrier__organization", "origin", "destination")
        .order_by("order_id", "pk")
    )
    posted = []
    for leg in legs:
        if not leg_accepted(leg, cutoff=cutoff):
            continue
        try:
            posted += release_prices(order=leg.order, parties=accepted_with_leg(leg))
        except Conflict as error:  # e.g. the order was refunded meanwhile: leave it to people
            logger.warning("Escrow release of %s skipped: %s", leg, error)
    return posted


# -- refunds --------------------------------------------------------------------------------
def refund_held(
    *,
    order: Order,
    reason: str,
    idempotency_key: str | None = None,
    at_most: Money | None = None,
):
    """Refund the customer what is still held for the order and not promised back yet
    (prices released on acceptance stay with the parties that did the work), or ``at_most``
    of it. None when nothing is left."""
    payment = billing_selectors.payment_for_order(order_id=order.pk)
    if payment is None:
        return None
    available = billing_selectors.available_for_order(order.pk)
    amount = Money(min(available.minor, payment.refundable.minor), payment.currency)
    if at_most is not None:
        amount = Money(min(amount.minor, at_most.minor), payment.currency)
    if amount.minor <= 0:
        return None
    return billing.payment_refund(
        payment=payment,
        amount=amount,
        reason=reason,
        idempotency_key=idempotency_key or f"cancel:{order.pk}",
    )


def orders_holding_money() -> QuerySet[Order]:
    """Ended orders that may still hold money: completed, cancelled or expired with a
    customer-funds-held balance above zero (one query; a negative one is for people,
    ``audit_money`` lists it)."""
    held = (
        LedgerEntry.objects.filter(
            transaction__order_id=OuterRef("pk"),
            account__kind=LedgerAccount.Kind.CUSTOMER_FUNDS_HELD,
        )
        .values("transaction__order_id")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    return (
        Order.objects.filter(
            status__in=[OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.EXPIRED]
        )
        .annotate(held_minor=Subquery(held))
        .filter(held_minor__gt=0)
        .order_by("pk")
    )


def escrow_settle_ended(*, order: Order) -> bool:
    """Close the money of an ended order that still holds some (the sweeper's one step).

    A completed order whose release never happened (a worker died, a provider failed) is
    released now; what any ended order still holds after that, and has not promised back,
    is refunded to the customer. Accepted work was paid when it was accepted, and the
    release pays the rest, so nothing that is left belongs to anyone else. Idempotent:
    pending refunds are counted as promised, so a rerun does not refund twice.
    """
    acted = False
    if order.status == OrderStatus.COMPLETED:
        payment = billing_selectors.payment_for_order(order_id=order.pk)
        if payment is not None and not billing_selectors.order_released(order_id=order.pk):
            order_release(order=order)
            acted = True
    available = billing_selectors.available_for_order(order.pk)
    if available.minor > 0:
        count = billing_selectors.refunds_count_for_order(order.pk)
        acted = (
            bool(
                refund_held(
                    order=order,
                    reason="What the order still held after it ended",
                    idempotency_key=f"leftover:{order.pk}:{count + 1}",
                )
            )
            or acted
        )
    return acted


def payments_cancel_unwanted(*, order_id: int, reason: str) -> None:
    """After an unpaid order expired or was cancelled: cancel its open payments at the
    provider, and send back any money that arrived anyway (billing refunds it in full).

    Runs after commit, never under the order's lock: it calls the provider. One failing
    payment is logged and left for the next pass; the others still go.
    """
    for payment in Payment.objects.filter(order_id=order_id).exclude(
        status__in=[Payment.Status.CANCELED, Payment.Status.REFUNDED]
    ):
        try:
            billing.payment_cancel(payment=payment, reason=reason)
        except DomainError:
            logger.exception("Payment %s of order %s not cancelled yet", payment.pk, order_id)
