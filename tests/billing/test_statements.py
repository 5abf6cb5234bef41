"""Statements after the whole order story: every party's numbers add up, to the cent.

The story (quote, order, pay, accept, produce, ship, deliver, complete) is copied in short
from tests/marketplace/orders/test_services.py and runs on the small_network fixture.
"""

import datetime as dt

import pytest
from django.utils import timezone

from billing import services as billing
from billing.errors import NotFound
from billing.models import Payment, Payout, ShareRecord
from billing.money import Money
from billing.selectors import billing_overview
from billing.statements import (
    ROLE_CUSTOMER,
    ROLE_PARTY,
    ROLE_PLATFORM,
    order_statement,
    period_statement,
    statement_months,
)
from marketplace.designs.models import Design, DesignRevision
from marketplace.network.models import Finish, Material
from marketplace.orders.flow import OrderStatus
from marketplace.orders.jobs import job_accept, job_complete, job_start
from marketplace.orders.models import Job
from marketplace.orders.quotes import LineSpec, ShipTo, quote_request_create
from marketplace.orders.services import order_complete, order_confirm_delivery, order_place
from marketplace.orders.shipments import shipment_hand_over, shipment_receive

pytestmark = pytest.mark.django_db

BRACKET = {
    "volume_mm3": 10342.8,
    "area_mm2": 6436.43,
    "bbox_mm": [53.0, 30.0, 43.5752],
    "convex_hull_volume_mm3": 39783.2,
    "watertight": True,
    "shells": 1,
}
MUNICH = ShipTo("Goods in", "Main street 1", "Munich", "DE", 48.1351, 11.5820)


@pytest.fixture(autouse=True)
def _fast_matcher(settings):
    settings.QUOTE_TIME_LIMIT_S = 1.0
    settings.MATCHING_WORKERS = 1
    settings.QUOTE_SYNC_MAX_SIZE = 10_000


def _quote(customer):
    organization = customer.memberships.get().organization
    design = Design.objects.create(organization=organization, name="Bracket")
    revision = DesignRevision.objects.create(
        design=design,
        number=1,
        file="designs/Bracket.stl",
        original_name="Bracket.stl",
        format="stl_binary",
        size_bytes=1000,
        sha256="0" * 64,
        status=DesignRevision.Status.ANALYSED,
        analysis=BRACKET,
    )
    line = LineSpec(
        revision=revision,
        material=Material.objects.get(code="al-6061"),
        finish=Finish.objects.get(code="anodized"),
        quantity=2,
    )
    return quote_request_create(
        user=customer, organization=organization, lines=[line], ship_to=MUNICH
    )


def _user_for(workshop_id, network):
    return {
        network["stuttgart"].pk: network["bob"],
        network["eindhoven"].pk: network["charlie"],
    }.get(workshop_id, network["nina"])


def complete_an_order(network, customer, operator, capture):
    """Quote, order, pay, produce every job, ship every leg, deliver and complete."""
    order = order_place(user=customer, option=_quote(customer).options.first())
    payment = Payment.objects.get(order_id=order.pk)
    with capture(execute=True):
        billing.payment_confirm_manual(operator=operator, payment=payment, amount=payment.amount)
    for job in order.jobs.filter(status="offered").order_by("planned_start"):
        job_accept(user=_user_for(job.workshop_id, network), job=job)
    for job in order.jobs.filter(status="accepted").order_by("planned_start"):
        worker = _user_for(job.workshop_id, network)
        with capture(execute=True):
            job_start(user=worker, job=job)
            job_complete(user=worker, job=job)
        for leg in order.shipments.filter(
            status="planned", origin=job.workshop, job_key=job.job_key
        ):
            if (
                not order.jobs.filter(job_key=leg.job_key, workshop=leg.origin)
                .exclude(status__in=["done", "declined", "superseded", "cancelled"])
                .exists()
            ):
                with capture(execute=True):
                    shipment_hand_over(user=worker, shipment=leg, tracking_number="TRK1")
                    if not leg.to_customer:
                        receiver = _user_for(leg.destination_id, network)
                        shipment_receive(user=receiver, shipment=leg)
    with capture(execute=True):
        order_confirm_delivery(user=customer, order=order)
        order_complete(user=customer, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    return order


@pytest.fixture
def completed_order(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    return complete_an_order(
        small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
    )


def org(user):
    return user.memberships.get().organization


def test_the_customers_statement_totals_what_was_paid_to_the_cent(completed_order, customer_alice):
    statement = order_statement(organization=org(customer_alice), order_id=completed_order.pk)
    payment = Payment.objects.get(order_id=completed_order.pk)

    assert statement.role == ROLE_CUSTOMER
    assert statement.reference == completed_order.reference
    assert statement.total == statement.amount_paid == payment.net
    assert statement.total.minor == completed_order.price_minor
    assert statement.outstanding == Money(0, "EUR")
    parties = [line for line in statement.lines if line.kind in ("workshop", "carrier")]
    assert len(parties) == completed_order.jobs.filter(status="done").count() + (
        completed_order.shipments.filter(status="delivered").count()
    )
    payables = sum(line.amount.minor for line in parties)
    assert payables + statement.platform_fee.minor + statement.rebate.minor == payment.net.minor
    assert statement.platform_fee.minor == completed_order.platform_fee_minor
    margin_shares = sum(line.margin_share.minor for line in parties)
    assert margin_shares + statement.rebate.minor == statement.margin.minor
    assert all(line.amount == line.price + line.margin_share for line in parties)
    assert all("Your share of the" in line.explanation for line in parties)
    assert statement.payouts == []  # the customer is paid nothing


def test_every_workshop_and_carrier_reads_its_share_with_the_rule_explained(
    completed_order, small_network
):
    parties = {payout.party for payout in Payout.objects.filter(order_id=completed_order.pk)}
    assert len(parties) >= 3  # a mill, the anodizer, the carrier
    seen = 0
    for organization in parties:
        statement = order_statement(organization=organization, order_id=completed_order.pk)
        assert statement.role == ROLE_PARTY
        assert statement.lines
        for line in statement.lines:
            assert line.party == organization.name
            assert line.amount == line.price + line.margin_share
            assert line.explanation.startswith(f"Your price {line.price}")
            assert f"so you are paid {line.amount}" in line.explanation
        payouts = Payout.objects.filter(order_id=completed_order.pk, party=organization)
        assert statement.total.minor == sum(p.amount_minor for p in payouts)
        assert [p.payout_id for p in statement.payouts] == sorted(p.pk for p in payouts)
        assert {p.status for p in statement.payouts} == {"pending"}
        assert statement.amount_paid == Money(0, "EUR")
        assert statement.outstanding == statement.total
        seen += statement.total.minor
    platform_fee = completed_order.platform_fee_minor
    rebate = ShareRecord.objects.get(order_id=completed_order.pk, kind="rebate").payable_minor
    assert seen + platform_fee + rebate == completed_order.price_minor
    carrier = small_network["carla"].memberships.get().organization
    carrier_statement = order_statement(organization=carrier, order_id=completed_order.pk)
    assert {line.kind for line in carrier_statement.lines} == {"carrier"}


def test_payouts_show_as_paid_once_the_money_has_left(completed_order, operator_olga):
    payout = Payout.objects.filter(order_id=completed_order.pk).first()
    billing.payout_execute(payout=payout)
    billing.payout_confirm_manual(operator=operator_olga, payout=payout)
    statement = order_statement(organization=payout.party, order_id=completed_order.pk)
    assert "paid" in {p.status for p in statement.payouts}
    assert statement.amount_paid.minor >= payout.amount_minor


def test_the_platform_reads_its_fee_and_the_overview_counts_it(completed_order, operator_olga):
    statement = order_statement(organization=org(operator_olga), order_id=completed_order.pk)
    assert statement.role == ROLE_PLATFORM
    assert [line.kind for line in statement.lines] == ["platform"]
    assert statement.total.minor == completed_order.platform_fee_minor
    assert "takes no part of the margin" in statement.lines[0].explanation

    (overview,) = billing_overview(days=7)
    assert overview.currency == "EUR"
    assert overview.revenue.minor == overview.fees.minor == completed_order.platform_fee_minor
    released = Payout.objects.filter(order_id=completed_order.pk)
    assert overview.payouts_pending_count == released.count()
    assert overview.payouts_pending.minor == sum(p.amount_minor for p in released)
    assert overview.payouts_paid.minor == 0
    assert len(overview.daily_revenue) == 7
    assert overview.daily_revenue[-1].day == timezone.localdate()
    assert sum(d.revenue.minor for d in overview.daily_revenue) == overview.revenue.minor


def test_the_period_statement_lists_the_order_with_totals_per_currency(
    completed_order, customer_alice, small_network
):
    today = timezone.localdate()
    customer = period_statement(
        organization=org(customer_alice), period_start=today, period_end=today
    )
    assert [s.order_id for s in customer.orders] == [completed_order.pk]
    (total,) = customer.totals
    assert (total.currency, total.orders, total.total.minor) == (
        "EUR",
        1,
        completed_order.price_minor,
    )
    assert total.outstanding.minor == 0

    mill = Job.objects.filter(order=completed_order, status="done").first().workshop.organization
    party = period_statement(organization=mill, period_start=today, period_end=today)
    assert party.totals[0].total == party.orders[0].total
    assert statement_months(organization=mill) == [today.replace(day=1)]

    yesterday = today - dt.timedelta(days=1)
    assert (
        period_statement(organization=mill, period_start=yesterday, period_end=yesterday).orders
        == []
    )


def test_an_organization_outside_the_order_has_no_statement(completed_order, workshop_charlie):
    with pytest.raises(NotFound):
        order_statement(organization=org(workshop_charlie), order_id=completed_order.pk)


def test_releasing_twice_writes_the_shares_once(completed_order):
    from marketplace.orders.escrow import order_release

    count = ShareRecord.objects.filter(order_id=completed_order.pk).count()
    order_release(order=completed_order)
    assert ShareRecord.objects.filter(order_id=completed_order.pk).count() == count
