"""Capacity coming back re-optimises open orders: late ones first, and only for the better.

Orders are built from factories on the small network (two mills, Stuttgart and Eindhoven);
the matcher runs for real.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from marketplace.network.models import Machine
from marketplace.network.services import machine_status_set
from marketplace.orders.models import Job
from marketplace.orders.outages import RECOVERY_MAX_ORDERS, recovery_candidates, recovery_replan
from marketplace.orders.replanning import plan_delivery
from tests.factories.network import member_for
from tests.helpers import at
from tests.marketplace.orders.outage_story import (
    assert_no_double_booking,
    live_jobs,
    mill,
    order_with,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def down(machine: Machine) -> None:
    with transaction.atomic():
        Machine.objects.filter(pk=machine.pk).update(status=Machine.Status.DOWN)


def test_a_machine_back_up_enqueues_one_recovery_in_the_background(
    small_network, django_capture_on_commit_callbacks
):
    machines = [mill("Eindhoven"), mill("Stuttgart")]
    for machine in machines:
        down(machine)
    task = "marketplace.orders.tasks.recovery_replan_task.apply_async"
    with mock.patch(task) as enqueue, django_capture_on_commit_callbacks(execute=True):
        for machine in machines:
            machine_status_set(
                user=member_for(small_network, machine.workshop_id),
                machine=Machine.objects.get(pk=machine.pk),
                status="available",
            )
    assert enqueue.call_count == 1
    assert enqueue.call_args.kwargs["queue"] == "matching"


def test_a_late_order_is_moved_onto_the_capacity_that_came_back_and_is_on_time(
    small_network, django_capture_on_commit_callbacks
):
    eindhoven = mill("Eindhoven")
    down(eindhoven)
    late = order_with((mill("Stuttgart"), at(9, 8), 2, "accepted"), promised=at(4, 12))
    assert plan_delivery(late) > late.promised_delivery_at
    with django_capture_on_commit_callbacks(execute=True):
        machine_status_set(user=small_network["charlie"], machine=eindhoven, status="available")
    job = live_jobs(late).get()
    assert job.status == Job.Status.OFFERED
    assert job.booking.kind == "hold"
    assert plan_delivery(late) <= late.promised_delivery_at
    assert late.jobs.filter(status="superseded").count() == 1
    event = late.events.get(kind="order.replanned")
    assert "Capacity came back: the order is on time again." in event.reason
    gaining = Notification.objects.filter(user=job.workshop.organization.memberships.first().user)
    assert gaining.filter(kind="job.offered").exists()
    assert_no_double_booking()


def test_an_order_on_time_is_left_alone(small_network):
    on_time = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=at(12, 12))
    before = list(on_time.jobs.values_list("pk", "status", "machine_id", "planned_start"))
    report = recovery_replan()
    assert report["improved"] == 0
    assert report["kept"] == 1
    assert list(on_time.jobs.values_list("pk", "status", "machine_id", "planned_start")) == before
    assert not on_time.events.exists()


def test_a_late_order_that_cannot_be_on_time_keeps_its_plan(small_network):
    # Promised before any mill could finish: moving would not make it on time.
    promised = timezone.now() + timedelta(hours=1)
    hopeless = order_with((mill("Stuttgart"), at(9, 8), 2, "accepted"), promised=promised)
    before = list(hopeless.jobs.values_list("pk", "status", "machine_id", "planned_start"))
    assert recovery_replan()["improved"] == 0
    assert list(hopeless.jobs.values_list("pk", "status", "machine_id", "planned_start")) == before


def test_running_steps_never_move_and_late_orders_come_first(small_network):
    running = order_with(
        (mill("Stuttgart"), at(0, 8), 2, "in_progress", 50),
        promised=timezone.now() + timedelta(hours=1),
    )
    on_time = order_with((mill("Eindhoven"), at(3, 8), 2, "accepted"), promised=at(12, 12))
    late = order_with((mill("Stuttgart"), at(9, 8), 2, "accepted"), promised=at(4, 12))
    assert [o.pk for o in recovery_candidates(at(0, 0))] == [late.pk, on_time.pk]
    assert len(recovery_candidates(at(0, 0))) <= RECOVERY_MAX_ORDERS
    recovery_replan()
    assert list(running.jobs.values_list("status", flat=True)) == ["in_progress"]
