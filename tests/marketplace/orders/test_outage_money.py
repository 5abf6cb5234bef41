"""A running step lost with its machine: its partial work is recorded, told, and not paid.

A real order on the small network is paid, its first step started and reported at 40 %, and
its machine breaks down; the re-planned order then runs to completion and its money is
released, so the ledger shows who was paid.
"""

from __future__ import annotations

import pytest
from django.db.models import Q

from accounts.models import Notification
from billing.models import LedgerTransaction, Payout, ShareRecord
from marketplace.network.models import CapacityBooking
from marketplace.network.services import machine_status_set
from marketplace.orders.escrow import release_on_delivery
from marketplace.orders.flow import OrderStatus
from marketplace.orders.jobs import job_accept, job_progress, job_start
from marketplace.orders.models import Job
from marketplace.orders.services import order_complete, order_confirm_delivery, order_place
from tests.billing.escrow_story import advance, assert_settled_to_the_cent
from tests.factories.network import member_for
from tests.helpers import pay_manually, quote_bracket_and_gear

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def test_the_partial_work_of_a_step_lost_with_its_machine_is_recorded_and_not_paid(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order = order_place(
        user=customer_alice, option=quote_bracket_and_gear(customer_alice).options.first()
    )
    payment = pay_manually(order, operator_olga, capture)
    for job in order.jobs.filter(status="offered"):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    running = (
        order.jobs.filter(process__code="cnc-3axis", status="accepted")
        .order_by("planned_start")
        .first()
    )
    worker = member_for(small_network, running.workshop_id)
    with capture(execute=True):
        job_start(user=worker, job=running)
        job_progress(user=worker, job=running, percent=40)
        machine_status_set(user=worker, machine=running.machine, status="down", note="Spindle")

    lost = Job.objects.get(pk=running.pk)
    assert (lost.status, lost.progress_percent, lost.booking_id) == ("superseded", 40, None)
    assert running.booking_id is not None
    assert not CapacityBooking.all_objects.filter(pk=running.booking_id).exists()
    replacement = order.jobs.get(step_key=lost.step_key, job_key=lost.job_key, status="offered")
    assert replacement.machine_id != lost.machine_id
    assert replacement.booking.kind == CapacityBooking.Kind.HOLD
    event = order.events.get(kind="job.superseded")
    assert "40%" in event.reason
    assert "not paid" in event.reason
    told = Notification.objects.get(user=worker, kind="job.moved")
    assert "40% already done" in told.body
    assert "not paid" in told.body

    for job in order.jobs.filter(status="offered"):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    advance(order, small_network, customer_alice, capture)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
    release_on_delivery(order=order)
    with capture(execute=True):
        order_complete(user=customer_alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED

    party = f"job-{lost.pk}"
    assert not ShareRecord.objects.filter(order_id=order.pk, party_id=party).exists()
    assert not Payout.objects.filter(idempotency_key__endswith=f":{party}").exists()
    assert not LedgerTransaction.objects.filter(
        Q(idempotency_key__endswith=f":{party}") | Q(idempotency_key__contains=f":{party}:")
    ).exists()
    paid = ShareRecord.objects.filter(order_id=order.pk, party_id=f"job-{replacement.pk}")
    assert paid.exists()
    assert_settled_to_the_cent(order, payment)
