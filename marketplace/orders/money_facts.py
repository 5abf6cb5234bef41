"""What the money audit needs from the orders side: which orders are closed, and whose work
was handed over and accepted (so its price must have been released).

Answers billing's ``order_facts_requested`` (connected in ``MarketplaceConfig.ready``), so
billing audits orders without importing the marketplace. Acceptance follows escrow's own
rules (``marketplace.orders.escrow``): a leg received by the receiving side (or handed over
longer ago than the window) accepts its carrier and the finished steps it carried away; a
delivered order accepts every finished step and handed-over leg; a completed one every party
of its split. A disputed order reports no accepted work: releases are frozen by design until
an operator decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from billing.audit import AcceptedWork, OrderFacts
from marketplace.orders.contributions import (
    HANDED_OVER,
    Party,
    done_jobs,
    job_party,
    leg_party,
    order_legs,
)
from marketplace.orders.escrow import (
    accepted_with_leg,
    auto_release_window,
    leg_accepted,
    order_parties,
)
from marketplace.orders.flow import TERMINAL, OrderStatus
from marketplace.orders.models import Order


def _accepted_parties(order: Order, cutoff) -> list[Party]:
    currency = order.currency
    if order.status == OrderStatus.COMPLETED:  # the split's parties (a decision's choice)
        parties, organizations = order_parties(order=order)
        return [(p, organizations[p.party_id]) for p in parties]
    if order.status == OrderStatus.DELIVERED:
        accepted = [job_party(job, currency) for job in done_jobs(order)]
        legs = order_legs(order).filter(status__in=HANDED_OVER)
        return accepted + [leg_party(leg, currency) for leg in legs]
    if order.status in (OrderStatus.PLACED, OrderStatus.EXPIRED, OrderStatus.DISPUTED):
        return []
    accepted = []
    for leg in order_legs(order).filter(status__in=HANDED_OVER).select_related("order__option"):
        if leg_accepted(leg, cutoff=cutoff):
            accepted += accepted_with_leg(leg)
    return accepted


def order_money_facts(sender=None, *, order_ids: Iterable[int] | None = None, **kwargs):
    """Every order's (or ``order_ids``') facts for billing's money audit."""
    orders = Order.objects.select_related("option").order_by("pk")
    if order_ids is not None:
        orders = orders.filter(pk__in=list(order_ids))
    cutoff = timezone.now() - auto_release_window()
    facts = []
    for order in orders:
        seen: dict[str, AcceptedWork] = {}
        for contribution, organization in _accepted_parties(order, cutoff):
            if contribution.price.minor:
                seen[contribution.party_id] = AcceptedWork(
                    party_id=contribution.party_id,
                    organization_id=organization.pk,
                    price=contribution.price,
                )
        facts.append(
            OrderFacts(
                order_id=order.pk,
                reference=order.reference,
                status=order.status,
                closed=order.status in TERMINAL,
                accepted=tuple(seen.values()),
            )
        )
    return facts
