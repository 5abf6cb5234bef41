"""Who worked on an order and at what price: the parties billing's sharing rule splits over.

Each finished step is a workshop party, each accepted leg a carrier party, with its own
price, the runner-up price and the reference price for the same work (both from the matcher,
stored on the job or leg when the plan was made), how late it was against what the party
accepted (after the grace period) and, for steps, how its work came out of inspection.
"""

from __future__ import annotations

from accounts.models import Organization
from billing import selectors as billing_selectors
from billing.money import Money
from billing.sharing import PartyContribution, Quality
from marketplace.orders.models import Job, Order, Shipment

HANDED_OVER = (Shipment.Status.IN_TRANSIT, Shipment.Status.DELIVERED)

Party = tuple[PartyContribution, Organization]


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(minor, currency)


def job_quality(job: Job) -> Quality:
    """The recorded inspection outcome; work nobody inspected counts as accepted."""
    return Quality(job.inspection) if job.inspection else Quality.ACCEPTED


def job_party(job: Job, currency: str) -> Party:
    contribution = PartyContribution(
        party_id=f"job-{job.pk}",
        price=Money(job.cost_minor, currency),
        runner_up_price=_money(job.runner_up_cost_minor, currency),
        reference_price=_money(job.estimate_cost_minor, currency),
        kind="workshop",
        label=f"{job.name} at {job.workshop}",
        days_late=job.days_late,
        quality=job_quality(job),
    )
    return contribution, job.workshop.organization


def leg_party(leg: Shipment, currency: str) -> Party:
    destination = leg.destination.city if leg.destination else "customer"
    contribution = PartyContribution(
        party_id=f"leg-{leg.pk}",
        price=Money(leg.cost_minor, currency),
        runner_up_price=_money(leg.runner_up_cost_minor, currency),
        reference_price=_money(leg.estimate_cost_minor, currency),
        kind="carrier",
        label=f"leg {leg.origin.city} → {destination}",
        days_late=leg.days_late,
    )
    return contribution, leg.carrier.organization


def done_jobs(order: Order):
    return order.jobs.filter(status=Job.Status.DONE).select_related("workshop__organization")


def order_legs(order: Order):
    return order.shipments.select_related("carrier__organization", "origin", "destination")


def order_contributions(*, order: Order) -> tuple[list[PartyContribution], dict]:
    """Each finished step and accepted leg as a party, with its price and runner-up price.

    A leg counts when it was received, or when its price was already released on
    acceptance while it is still in transit (confirmed by the customer's delivery, or
    accepted after the window).
    """
    currency = order.currency
    released = billing_selectors.released_prices(order_id=order.pk)
    parties, organizations = [], {}
    items = [job_party(job, currency) for job in done_jobs(order)]
    for leg in order_legs(order).filter(status__in=HANDED_OVER):
        if leg.status == Shipment.Status.DELIVERED or f"leg-{leg.pk}" in released:
            items.append(leg_party(leg, currency))
    for contribution, organization in items:
        parties.append(contribution)
        organizations[contribution.party_id] = organization
    return parties, organizations
