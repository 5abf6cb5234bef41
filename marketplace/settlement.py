"""From a completed order to the money each party is owed, through billing's sharing rule."""

from billing import selectors as billing_selectors
from billing import services as billing
from billing.money import Money
from billing.sharing import NegativeMargin, OrderSplit, PartyContribution, order_split
from marketplace.models import Job, Order, Shipment


def order_contributions(*, order: Order) -> tuple[list[PartyContribution], dict]:
    """Each finished step and delivered leg as a party, with its price and runner-up price."""
    currency = order.currency
    parties, organizations = [], {}
    for job in order.jobs.filter(status=Job.Status.DONE).select_related("workshop__organization"):
        party_id = f"job-{job.pk}"
        parties.append(
            PartyContribution(
                party_id=party_id,
                price=Money(job.cost_minor, currency),
                runner_up_price=Money(job.runner_up_cost_minor, currency)
                if job.runner_up_cost_minor is not None
                else None,
                kind="workshop",
                label=f"{job.name} at {job.workshop}",
                days_late=job.days_late,
            )
        )
        organizations[party_id] = job.workshop.organization
    for leg in order.shipments.filter(status=Shipment.Status.DELIVERED).select_related(
        "carrier__organization", "origin", "destination"
    ):
        party_id = f"leg-{leg.pk}"
        destination = leg.destination.city if leg.destination else "customer"
        late = 0
        if leg.received_at and leg.received_at > leg.planned_arrival:
            late = (leg.received_at - leg.planned_arrival).days + 1
        parties.append(
            PartyContribution(
                party_id=party_id,
                price=Money(leg.cost_minor, currency),
                runner_up_price=None,
                kind="carrier",
                label=f"leg {leg.origin.city} → {destination}",
                days_late=late,
            )
        )
        organizations[party_id] = leg.carrier.organization
    return parties, organizations


def order_split_for(*, order: Order) -> OrderSplit:
    """The split of what the customer paid; when re-planning raised costs past the price,
    the platform gives up its fee first (it promised the price, the parties did not)."""
    parties, _ = order_contributions(order=order)
    price = Money(order.price_minor, order.currency)
    fee = Money(order.platform_fee_minor, order.currency)
    try:
        return order_split(customer_price=price, platform_fee=fee, parties=parties)
    except NegativeMargin:
        cost = sum(p.price.minor for p in parties)
        fee = Money(max(0, order.price_minor - cost), order.currency)
        return order_split(customer_price=price, platform_fee=fee, parties=parties)


def order_release(*, order: Order):
    """Posts the release of a completed order's funds and opens each party's payout (once)."""
    payment = billing_selectors.payment_for_order(order_id=order.pk)
    if payment is None:
        return None
    _, organizations = order_contributions(order=order)
    return billing.funds_release(
        payment=payment, split=order_split_for(order=order), parties=organizations
    )
