"""One order's money story, driven through the real services on the small network: paid,
accepted, made, handed over and received; and what the ledger must say about it. Shared by
the escrow, dispute and outage-money tests (plain helpers, not tests)."""

from django.db.models import Sum

from billing.models import LedgerAccount, LedgerEntry, Payout, ShareRecord
from billing.money import Money
from billing.selectors import held_for_order, released_prices
from marketplace.orders.jobs import job_accept, job_complete, job_start
from marketplace.orders.services import order_dispute, order_place
from marketplace.orders.shipments import shipment_hand_over, shipment_receive
from tests.factories.network import member_for
from tests.helpers import pay_manually, quote_bracket_and_gear

Kind = LedgerAccount.Kind


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def assert_ledger_balanced() -> None:
    unbalanced = (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
    per_currency = LedgerEntry.objects.values("currency").annotate(total=Sum("amount_minor"))
    assert all(row["total"] == 0 for row in per_currency)


def order_entries(order, kind) -> int:
    return (
        LedgerEntry.objects.filter(transaction__order_id=order.pk, account__kind=kind).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )


def paid_order(small_network, customer_alice, operator_olga, capture):
    order = order_place(
        user=customer_alice, option=quote_bracket_and_gear(customer_alice).options.first()
    )
    payment = pay_manually(order, operator_olga, capture)
    for job in order.jobs.filter(status="offered"):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    return order, payment


def receiver_of(leg, small_network, customer_alice):
    if leg.to_customer:
        return customer_alice
    return member_for(small_network, leg.destination_id)


def receive_leg(leg, small_network, customer_alice, capture):
    """A leg's receipt: shipment_receive releases (after commit) what the receiver accepts.

    Returns the price-release transactions that the receipt posted."""
    from billing.models import LedgerTransaction

    before = set(LedgerTransaction.objects.values_list("pk", flat=True))
    with capture(execute=True):
        shipment_receive(user=receiver_of(leg, small_network, customer_alice), shipment=leg)
    return list(
        LedgerTransaction.objects.exclude(pk__in=before).filter(
            idempotency_key__startswith="release-price:"
        )
    )


def advance(order, small_network, customer_alice, capture, *, receive=True, max_receipts=None):
    """Runs the accepted steps in plan order; hands each leg over once its workshop finished
    the part and (``receive``) has the next workshop receive it. Stops after
    ``max_receipts`` receipts. Returns the legs received, with what each released."""
    received = []
    for job in order.jobs.filter(status="accepted").order_by("planned_start"):
        worker = member_for(small_network, job.workshop_id)
        with capture(execute=True):
            job_start(user=worker, job=job)
            job_complete(user=worker, job=job)
        for leg in order.shipments.filter(
            status="planned", origin=job.workshop, job_key=job.job_key
        ):
            if (
                order.jobs.filter(job_key=leg.job_key, workshop=leg.origin)
                .exclude(status__in=["done", "declined", "superseded", "cancelled"])
                .exists()
            ):
                continue
            with capture(execute=True):
                shipment_hand_over(user=worker, shipment=leg, tracking_number="TRK1")
            if receive and not leg.to_customer:
                received.append((leg, receive_leg(leg, small_network, customer_alice, capture)))
                if max_receipts is not None and len(received) >= max_receipts:
                    return received
    return received


def accepted_by(leg) -> dict[str, int]:
    """What a leg's receipt should release: the leg and its part's steps where it left."""
    expected = {f"leg-{leg.pk}": leg.cost_minor}
    for job in leg.order.jobs.filter(status="done", workshop_id=leg.origin_id):
        if job.job_key == leg.job_key:
            expected[f"job-{job.pk}"] = job.cost_minor
    return expected


def released_prices_of(order) -> dict[str, int]:
    return {k: v.minor for k, v in released_prices(order_id=order.pk).items()}


def all_parties(order) -> dict[str, int]:
    parties = {f"job-{j.pk}": j.cost_minor for j in order.jobs.filter(status="done")}
    parties.update(
        {
            f"leg-{s.pk}": s.cost_minor
            for s in order.shipments.filter(status__in=["in_transit", "delivered"])
        }
    )
    return parties


def assert_settled_to_the_cent(order, payment):
    """After completion: payouts + platform revenue + rebate == what the customer paid, the
    shares recorded in full (price + margin share), nothing left held."""
    payouts = Payout.objects.filter(order_id=order.pk)
    fee = order_entries(order, Kind.PLATFORM_REVENUE)
    rebate = order_entries(order, Kind.REFUNDS)
    assert sum(p.amount_minor for p in payouts) + fee + rebate == payment.net.minor
    assert held_for_order(order.pk) == eur(0)
    records = ShareRecord.objects.filter(order_id=order.pk)
    assert sum(r.payable_minor for r in records) == payment.net.minor
    for record in records.filter(kind__in=["workshop", "carrier"]):
        assert record.price_minor + record.margin_share_minor == record.payable_minor
        mine = payouts.filter(order_id=order.pk, idempotency_key__endswith=f":{record.party_id}")
        assert sum(p.amount_minor for p in mine) == record.payable_minor
        price = mine.filter(idempotency_key__startswith="price:").first()
        assert price is not None
        assert price.amount_minor == record.price_minor
    assert_ledger_balanced()


def disputed(small_network, customer_alice, operator_olga, capture, *, more=False, **how):
    """A paid order advanced as ``how`` says (``advance``'s options), then disputed; ``more``
    runs the rest of its steps while disputed (their prices stay frozen, unpaid)."""
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture, **how)
    with capture(execute=True):
        order_dispute(user=customer_alice, order=order, reason="Two parts are scratched")
    order.refresh_from_db()
    if more:
        advance(order, small_network, customer_alice, capture, receive=False)
    return order, payment
