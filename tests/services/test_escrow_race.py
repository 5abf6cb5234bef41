"""Two people confirming the same leg's receipt at once release its price once (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing import services as billing
from billing.models import LedgerEntry, LedgerTransaction, Payout
from billing.money import Money
from billing.selectors import held_for_order
from marketplace.orders.escrow import release_on_handover, release_overdue
from marketplace.orders.models import Job, Shipment
from marketplace.orders.shipments import shipment_receive
from tests.factories import MembershipFactory, UserFactory, WorkshopFactory
from tests.factories.orders import JobFactory, OrderFactory, ShipmentFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _member(organization):
    user = UserFactory()
    MembershipFactory(user=user, organization=organization)
    return user


def _leg_in_transit(customer_alice, operator_olga, *, handed_over_days_ago=0):
    """A paid order in production: one finished step in Stuttgart, its leg on the way to
    the next workshop (price 80.00 + 20.00 of 130.00)."""
    customer = customer_alice.memberships.get().organization
    order = OrderFactory(
        status="in_production",
        option__request__organization=customer,
        option__price_minor=13000,
        option__cost_minor=10000,
        option__margin_minor=2000,
        option__platform_fee_minor=1000,
    )
    now = timezone.now()
    origin = WorkshopFactory()
    JobFactory(
        order=order,
        job_key="part",
        step_key="mill",
        name="3-axis CNC milling",
        workshop=origin,
        planned_start=now - timedelta(hours=4),
        planned_end=now + timedelta(hours=4),
        accept_by=now,
        status=Job.Status.DONE,
        finished_at=now - timedelta(hours=1),
        cost_minor=8000,
        runner_up_cost_minor=9000,
    )
    leg = ShipmentFactory(
        order=order,
        job_key="part",
        origin=origin,
        status=Shipment.Status.IN_TRANSIT,
        planned_departure=now,
        handed_over_at=now - timedelta(days=handed_over_days_ago, hours=1),
        km=170,
        cost_minor=2000,
        co2_g=1000,
    )
    payment, _ = billing.payment_start(
        order_id=order.pk,
        reference=order.reference,
        amount=Money(13000, "EUR"),
        payer=customer,
        customer_email=customer_alice.email,
    )
    billing.payment_confirm_manual(operator=operator_olga, payment=payment, amount=payment.amount)
    return order, leg, _member(leg.destination.organization)


def _assert_released_once(order):
    keys = list(
        LedgerTransaction.objects.filter(
            idempotency_key__startswith=f"release-price:{order.pk}:"
        ).values_list("idempotency_key", flat=True)
    )
    assert sorted(keys) == sorted(
        [
            f"release-price:{order.pk}:job-{order.jobs.get().pk}",
            f"release-price:{order.pk}:leg-{order.shipments.get().pk}",
        ]
    )
    prices = Payout.objects.filter(order_id=order.pk, idempotency_key__startswith="price:")
    assert sorted(p.amount_minor for p in prices) == [2000, 8000]
    assert held_for_order(order.pk) == Money(3000, "EUR")
    assert LedgerEntry.objects.aggregate(total=Sum("amount_minor"))["total"] == 0


def test_two_confirmations_of_the_same_receipt_release_the_price_once(
    postgres, customer_alice, operator_olga
):
    order, leg, receiver = _leg_in_transit(customer_alice, operator_olga)
    colleague = _member(leg.destination.organization)

    def confirm(user):
        def call():
            shipment_receive(user=user, shipment=leg)
            return release_on_handover(shipment=leg)

        return call

    outcomes = in_parallel(confirm(receiver), confirm(colleague))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # shipment_receive releases after its commit; the explicit calls find nothing left to do.
    _assert_released_once(order)
    leg.refresh_from_db()
    assert leg.status == Shipment.Status.DELIVERED


def test_the_timer_and_a_late_confirmation_at_once_release_the_price_once(
    postgres, customer_alice, operator_olga
):
    order, leg, receiver = _leg_in_transit(customer_alice, operator_olga, handed_over_days_ago=30)

    def confirm():
        shipment_receive(user=receiver, shipment=leg)
        return release_on_handover(shipment=leg)

    outcomes = in_parallel(
        confirm,
        lambda: release_overdue(now=timezone.now()),
        lambda: release_on_handover(shipment=leg),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    _assert_released_once(order)
