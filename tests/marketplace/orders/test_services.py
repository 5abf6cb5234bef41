"""Orders end to end through the services: quote, order, pay, jobs, re-plan, ship, settle.

Runs the real matcher (short time limits) on a small network: two mills, one anodizer.
"""

import pytest
from django.db.models import Sum

from billing.models import LedgerEntry, Payment, Payout
from marketplace.errors import Conflict, PermissionDenied
from marketplace.network.models import CapacityBooking
from marketplace.orders.flow import OrderStatus
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.jobs import job_accept, job_complete, job_decline, job_progress, job_start
from marketplace.orders.models import Job, Shipment
from marketplace.orders.services import order_complete, order_confirm_delivery, order_place
from marketplace.orders.shipments import shipment_hand_over, shipment_receive
from tests.factories.network import member_for
from tests.helpers import (
    legs_ready_to_leave,
    pay_manually,
    place_quoted_order,
    quote_bracket_and_gear,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def test_a_two_part_quote_offers_priced_options_across_workshops(small_network, customer_alice):
    quote = quote_bracket_and_gear(customer_alice)
    assert quote.status == "ready", quote.reasons
    option = quote.options.first()
    assert option.price_minor == option.cost_minor + option.margin_minor + option.platform_fee_minor
    workshops = {step["workshop_id"] for step in option.route["steps"]}
    assert small_network["stuttgart"].pk in workshops or small_network["eindhoven"].pk in workshops
    assert len(workshops) >= 2  # anodizing exists only in Nuremberg
    assert quote.valid_until > quote.created_at


def test_an_order_is_placed_paid_and_offered_to_its_workshops(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    option = quote_bracket_and_gear(customer_alice).options.first()
    order = order_place(user=customer_alice, option=option)
    assert order.status == OrderStatus.PLACED
    assert set(order.jobs.values_list("status", flat=True)) == {"planned"}
    assert Payment.objects.get(order_id=order.pk).status == "pending"

    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.PAID
    assert set(order.jobs.values_list("status", flat=True)) == {"offered"}


def test_ordering_twice_from_one_quote_is_refused(small_network, customer_alice):
    quote = quote_bracket_and_gear(customer_alice)
    order_place(user=customer_alice, option=quote.options.first())
    with pytest.raises(Conflict):
        order_place(user=customer_alice, option=quote.options.last())


def test_a_workshop_cannot_accept_another_workshops_job(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    job = order.jobs.exclude(
        workshop__organization__memberships__user=small_network["nina"]
    ).first()
    with pytest.raises(PermissionDenied):
        job_accept(user=small_network["nina"], job=job)
    job.refresh_from_db()
    assert job.status == "offered"


def test_the_whole_story_decline_replan_ship_deliver_complete_and_settle(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, capture)

    # The milling workshop declines its first step: it moves to the other mill.
    milling = order.jobs.filter(process__code="cnc-3axis").order_by("sequence").first()
    decliner = member_for(small_network, milling.workshop_id)
    with capture(execute=True):
        job_decline(user=decliner, job=milling, reason="Spindle fully booked")
    milling.refresh_from_db()
    assert milling.status == "declined"
    moved = order.jobs.get(job_key=milling.job_key, step_key=milling.step_key, status="offered")
    assert moved.workshop_id != milling.workshop_id
    assert order.events.filter(kind="order.replanned").exists()

    # Every active job is accepted (booking its machine), started and finished in order,
    # and each leg is handed over and received.
    for job in order.jobs.filter(status="offered").order_by("planned_start"):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    assert (
        CapacityBooking.objects.filter(job__order=order).count()
        == order.jobs.filter(status="accepted").count()
    )
    for job in order.jobs.filter(status="accepted").order_by("planned_start"):
        worker = member_for(small_network, job.workshop_id)
        with capture(execute=True):
            job_start(user=worker, job=job)
            job_progress(user=worker, job=job, percent=50, note="halfway")
            job_complete(user=worker, job=job)
        for leg in legs_ready_to_leave(order, job):
            with capture(execute=True):
                shipment_hand_over(user=worker, shipment=leg, tracking_number="TRK1")
                if not leg.to_customer:
                    receiver = member_for(small_network, leg.destination_id)
                    shipment_receive(user=receiver, shipment=leg)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
        order_complete(user=customer_alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED

    # The money: what the customer paid is split to the cent among the parties, the platform
    # and the customer rebate; every ledger transaction sums to zero.
    payouts = Payout.objects.filter(order_id=order.pk)
    parties = {p.idempotency_key.split(":", 2)[2] for p in payouts}
    assert (
        len(parties)
        == order.jobs.filter(status="done").count()
        + order.shipments.filter(status="delivered").count()
    )
    # Prices were released at each handover, margin shares at completion.
    assert payouts.filter(idempotency_key__startswith="price:").exists()
    assert payouts.filter(idempotency_key__startswith="share:").exists()
    assert LedgerEntry.objects.aggregate(total=Sum("amount_minor"))["total"] == 0
    released = sum(p.amount_minor for p in payouts)
    assert released <= order.price_minor
    assert released >= sum(j.cost_minor for j in order.jobs.filter(status="done"))

    statuses = [e.to_status for e in order.events.filter(kind="status")]
    assert statuses == ["placed", "paid", "in_production", "shipped", "delivered", "completed"]
    assert Shipment.objects.filter(order=order, status="delivered").count() >= 1


def test_a_machine_going_down_re_plans_the_steps_booked_on_it(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    from marketplace.network.services import machine_status_set

    capture = django_capture_on_commit_callbacks
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, capture)
    for job in order.jobs.filter(status="offered"):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    milling = order.jobs.filter(process__code="cnc-3axis", status="accepted").first()
    owner = member_for(small_network, milling.workshop_id)
    with capture(execute=True):
        machine_status_set(user=owner, machine=milling.machine, status="down", note="Spindle crash")
    milling.refresh_from_db()
    assert milling.status == "superseded"
    assert milling.booking is None
    replacement = order.jobs.get(
        job_key=milling.job_key, step_key=milling.step_key, status="offered"
    )
    assert replacement.machine_id != milling.machine_id
    untouched = order.jobs.filter(status="accepted").exclude(machine=milling.machine)
    assert untouched.exists()


def test_a_job_not_accepted_before_its_deadline_is_re_planned(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    job = order.jobs.filter(process__code="cnc-3axis").first()
    Job.objects.filter(pk=job.pk).update(accept_by=timezone.now() - timezone.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        result = orders_housekeeping()
    assert result["missed"] == 1
    job.refresh_from_db()
    assert job.status == "declined"
    assert job.declined_reason == "Not accepted before the deadline"
    assert order.jobs.filter(job_key=job.job_key, step_key=job.step_key, status="offered").exists()
