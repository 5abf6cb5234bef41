"""Settling a dispute with amounts: the operator decides what goes back to the customer and
which parties are paid for their work, within what the order holds.

The money rules (docs/billing.md, "Disputes"):

- A party chosen to be paid gets its own price (a finished step, a leg handed over, in
  transit or delivered); its price leaves the escrow at the decision.
- The refund comes out of what is still held after those prices; it can never take the
  escrow below zero.
- "complete": the rest is shared at completion over the parties paid, as margin on what was
  actually delivered (``escrow.order_release``). "cancel": everything left goes back to the
  customer. "resume": production goes on; a partial refund shrinks the price shared later.

``dispute_decision_record`` validates and writes the decision and releases the chosen prices
in the caller's transaction; the order's move and the refund are ``services``' part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from accounts.audit import record
from accounts.models import Organization, User
from billing import selectors as billing_selectors
from billing.money import Money, sum_money
from billing.sharing import PartyContribution
from marketplace.errors import Conflict, DomainError
from marketplace.orders.contributions import (
    HANDED_OVER,
    done_jobs,
    job_party,
    leg_party,
    order_legs,
)
from marketplace.orders.escrow import release_prices
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import DisputeDecision, Job, Order, Shipment

Outcome = DisputeDecision.Outcome
# Characters that print nothing: an explanation made only of them explains nothing.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass(frozen=True)
class DisputeParty:
    """Work of a disputed order that the operator may decide to pay."""

    party_id: str
    label: str
    organization: Organization
    price: Money
    released: bool  # already paid on acceptance: stays paid whatever the decision
    in_transit: bool
    contribution: PartyContribution


@dataclass(frozen=True)
class DisputeMoney:
    """What the decision works with, shown to the operator beside the form."""

    held: Money  # in escrow and not promised back
    released: Money  # prices already paid on acceptance
    parties: list[DisputeParty]

    def max_refund(self, paid_party_ids: Iterable[str]) -> Money:
        """The largest refund that still pays the chosen parties from the escrow."""
        chosen = set(paid_party_ids)
        owed = sum_money(
            (p.price for p in self.parties if p.party_id in chosen and not p.released),
            self.held.currency,
        )
        return Money(max(0, self.held.minor - owed.minor), self.held.currency)


def dispute_money(*, order: Order) -> DisputeMoney:
    """The finished steps and handed-over legs of the order, with what it holds."""
    currency = order.currency
    released = billing_selectors.released_prices(order_id=order.pk)
    available = billing_selectors.available_for_order(order.pk)
    if available.currency != currency:  # nothing was ever posted
        available = Money(0, currency)
    items = [(*job_party(job, currency), False) for job in done_jobs(order)]
    items += [
        (*leg_party(leg, currency), leg.status == Shipment.Status.IN_TRANSIT)
        for leg in order_legs(order).filter(status__in=HANDED_OVER)
    ]
    parties = [
        DisputeParty(
            party_id=contribution.party_id,
            label=contribution.label,
            organization=organization,
            price=contribution.price,
            released=contribution.party_id in released,
            in_transit=in_transit,
            contribution=contribution,
        )
        for contribution, organization, in_transit in items
    ]
    return DisputeMoney(
        held=available, released=sum_money(released.values(), currency), parties=parties
    )


def dispute_decision_record(
    *,
    user: User,
    order: Order,
    outcome: str,
    explanation: str,
    refund: Money | None = None,
    paid_party_ids: Iterable[str] | None = None,
) -> DisputeDecision:
    """Validate and write the operator's decision, and pay the chosen parties their prices.

    ``paid_party_ids`` None pays every finished step and handed-over leg; ``refund`` None
    refunds nothing (for "cancel", everything left is refunded whatever is given). Refuses
    (``DomainError``, nothing written) an unknown party, a refund in another currency, a
    negative one, or one larger than what is left after paying the chosen parties. Runs in
    the caller's transaction with the order locked.
    """
    if outcome not in Outcome.values:
        raise DomainError("Choose resume, complete or cancel.", code="invalid_outcome")
    if not explanation.translate(_INVISIBLE).strip():
        raise DomainError("Explain the decision to both sides.", code="reason_required")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.DISPUTED:
            raise Conflict(f"Order {locked.reference} is not disputed; there is nothing to settle.")
        money = dispute_money(order=locked)
        by_id = {p.party_id: p for p in money.parties}
        chosen = list(by_id) if paid_party_ids is None else list(dict.fromkeys(paid_party_ids))
        unknown = [party_id for party_id in chosen if party_id not in by_id]
        if unknown:
            raise DomainError(
                f"{', '.join(unknown)} is not finished work of order {locked.reference}.",
                code="invalid_party",
            )
        refund = refund if refund is not None else Money(0, locked.currency)
        if refund.currency != locked.currency:
            raise DomainError(
                f"The refund must be in {locked.currency}, like the order.", code="invalid_refund"
            )
        if refund.minor < 0:
            raise DomainError("A refund cannot be negative.", code="invalid_refund")
        unfinished = _unfinished_cost(locked)
        if outcome == Outcome.RESUME:
            if unfinished.minor == 0:
                raise DomainError(
                    f"Nothing is left to make for {locked.reference}: complete or cancel it.",
                    code="nothing_to_resume",
                )
            # What is left must still pay for the work that goes on.
            most = Money(max(0, money.max_refund(chosen).minor - unfinished.minor), locked.currency)
        else:
            most = money.max_refund(chosen)
        if outcome == Outcome.CANCEL:
            refund = most
        elif refund.minor > most.minor:
            owed = Money(money.held.minor - most.minor, locked.currency)
            raise DomainError(
                f"At most {most} can be refunded: {money.held} is held and {owed} goes to "
                "the parties you chose to pay.",
                code="refund_too_large",
            )
        if outcome == Outcome.COMPLETE:
            refund = Money(
                min(most.minor, max(refund.minor, _undelivered_share(locked, money, chosen))),
                locked.currency,
            )
        decision = DisputeDecision.objects.create(
            order=locked,
            outcome=outcome,
            refund_minor=refund.minor,
            currency=locked.currency,
            paid_parties=chosen,
            explanation=explanation.strip(),
            decided_by=user,
        )
        record(
            actor=user,
            action="dispute.decide",
            target=locked,
            details={
                "outcome": outcome,
                "refund_minor": refund.minor,
                "currency": refund.currency,
                "paid_parties": chosen,
            },
        )
        release_prices(
            order=locked,
            parties=[(by_id[i].contribution, by_id[i].organization) for i in chosen],
            decided=True,
        )
    return decision


def _unfinished_cost(order: Order) -> Money:
    """What the work still to do costs: steps not done and legs not handed over."""
    jobs = order.jobs.filter(status__in=Job.ACTIVE).exclude(status=Job.Status.DONE)
    legs = order.shipments.filter(status=Shipment.Status.PLANNED)
    return Money(
        sum(jobs.values_list("cost_minor", flat=True))
        + sum(legs.values_list("cost_minor", flat=True)),
        order.currency,
    )


def _undelivered_share(order: Order, money: DisputeMoney, chosen: list[str]) -> int:
    """The least a completing decision refunds: the customer pays the price in proportion
    to the cost of the work paid (a margin on what was delivered), not the whole price for
    part of the work. Minor units, rounded in the parties' favour."""
    by_id = {p.party_id: p for p in money.parties}
    paid_cost = money.released.minor + sum(
        by_id[i].price.minor for i in chosen if not by_id[i].released
    )
    planned_cost = order.cost_minor or paid_cost
    fair = -(-paid_cost * order.price_minor // planned_cost) if planned_cost else 0
    kept = money.held.minor + money.released.minor
    return max(0, kept - max(fair, paid_cost))


def decision_sentence(decision: DisputeDecision) -> str:
    """How a decision reads on a statement: the outcome, the amounts and the reason."""
    refund = Money(decision.refund_minor, decision.currency)
    paid = len(decision.paid_parties)
    work = (
        "no further work paid"
        if not paid
        else f"{paid} more {'item' if paid == 1 else 'items'} of work paid at their price"
    )
    return (
        f"Dispute decided on {decision.decided_at:%d %b %Y}: {decision.get_outcome_display()}; "
        f"{refund} refunded to the customer; {work} (work paid on acceptance stays paid). "
        f"{decision.explanation}"
    )


def on_statement_notes(sender, *, order_ids: list[int], **kwargs) -> dict[int, list[str]]:
    """Billing's ``statement_notes``: each order's dispute decisions, for every party."""
    notes: dict[int, list[str]] = {}
    for decision in DisputeDecision.objects.filter(order_id__in=order_ids):
        notes.setdefault(decision.order_id, []).append(decision_sentence(decision))
    return notes
