"""Outages as one background event, and offers that hold their machine time.

Orders are built from factories on the small network (two mills, Stuttgart and Eindhoven),
so each re-plan is one short solve; the matcher runs for real.
"""

from __future__ import annotations

import math
from datetime import time, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Notification
from marketplace.errors import CapacityUnavailable
from marketplace.network.models import CapacityBooking, Carrier, Machine
from marketplace.network.services import (
    capacity_book,
    capacity_exception_add,
    weekly_hours_set,
)
from marketplace.orders import matcher
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.jobs import job_accept, job_decline
from marketplace.orders.models import Job, Shipment
from marketplace.orders.outages import outage_replan
from marketplace.orders.plans import (
    REPLAN_ACCEPT_MINUTES,
    acceptance_deadline,
    job_booking_release,
)
from matching.transport import road_km
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import at
from tests.marketplace.orders.outage_story import (
    LIVE,
    assert_no_double_booking,
    deburr,
    free_at,
    live_jobs,
    mill,
    order_with,
    take_down,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]
# -- offers hold capacity ----------------------------------------------------------------------


def test_an_offers_hold_keeps_its_time_out_of_quotes_until_it_expires(small_network):
    machine = mill("Stuttgart")
    order = order_with((machine, at(2, 8), 2, "offered"))
    job = order.jobs.get()
    assert job.booking.kind == CapacityBooking.Kind.HOLD
    assert job.booking.expires_at == job.accept_by
    assert not free_at(machine, at(2, 9))
    assert free_at(machine, at(2, 9), now=job.accept_by + timedelta(minutes=1))
    assert free_at(machine, at(2, 11))


def test_a_declined_offer_frees_its_hold(small_network):
    machine = mill("Stuttgart")
    order = order_with((machine, at(2, 8), 2, "offered"))
    job_booking_release(order.jobs.get())
    assert not CapacityBooking.all_objects.exists()
    assert free_at(machine, at(2, 9))


def test_accepting_turns_the_hold_into_the_booking(small_network):
    machine = mill("Stuttgart")
    job = order_with((machine, at(2, 8), 2, "offered")).jobs.get()
    job_accept(user=small_network["bob"], job=job)
    job.refresh_from_db()
    assert job.booking.kind == CapacityBooking.Kind.BOOKING
    assert CapacityBooking.all_objects.filter(machine=machine).count() == 1


def test_another_offers_hold_refuses_a_booking_and_a_second_hold(small_network):
    machine = mill("Stuttgart")
    order_with((machine, at(2, 8), 2, "offered"))
    with pytest.raises(CapacityUnavailable):
        capacity_book(machine=machine, starts_at=at(2, 9), ends_at=at(2, 11), reference="other")
    second = order_with((machine, at(2, 9), 2, "offered")).jobs.get()
    assert second.booking is None


def test_a_decline_releases_the_hold_for_the_next_offer(small_network, customer_alice):
    machine = mill("Stuttgart")
    job = order_with((machine, at(2, 8), 2, "offered")).jobs.get()
    with mock.patch("marketplace.orders.jobs.replan_order"):
        job_decline(user=small_network["bob"], job=job, reason="Full")
    assert free_at(machine, at(2, 9))


# -- the outage as one event -------------------------------------------------------------------


def test_the_status_push_only_enqueues_one_task_for_machines_going_down_together(
    small_network, django_capture_on_commit_callbacks
):
    order = order_with(
        (mill("Stuttgart"), at(2, 8), 2, "accepted"), (deburr("Stuttgart"), at(2, 10), 1, "offered")
    )
    with mock.patch("marketplace.orders.tasks.outage_replan_task.apply_async") as enqueue:
        take_down(
            [mill("Stuttgart"), deburr("Stuttgart")],
            small_network["bob"],
            django_capture_on_commit_callbacks,
        )
    assert enqueue.call_count == 1
    assert enqueue.call_args.kwargs["countdown"] >= 1
    assert set(order.jobs.values_list("status", flat=True)) == {"accepted", "offered"}
    assert not order.events.filter(kind="order.replanned").exists()


def test_two_orders_replanned_after_one_outage_never_get_overlapping_offers(
    small_network, django_capture_on_commit_callbacks
):
    stuttgart = mill("Stuttgart")
    first = order_with((stuttgart, at(2, 8), 3, "accepted"))
    second = order_with((stuttgart, at(2, 11), 3, "accepted"))
    take_down([stuttgart], small_network["bob"], django_capture_on_commit_callbacks)
    new = [live_jobs(o).get() for o in (first, second)]
    assert {j.machine_id for j in new} == {mill("Eindhoven").pk}
    assert all(j.status == "offered" and j.booking.kind == "hold" for j in new)
    a, b = sorted(new, key=lambda j: j.planned_start)
    assert a.planned_end <= b.planned_start
    assert_no_double_booking()
    assert first.jobs.get(status="superseded").booking is None
    losing = Notification.objects.filter(user=small_network["bob"], kind="job.moved")
    gaining = Notification.objects.filter(user=small_network["charlie"], kind="job.offered")
    assert losing.count() == 2
    assert gaining.count() == 2
    assert first.events.filter(kind="order.outage").count() == 1


@pytest.mark.parametrize("how", ["closure", "shorter_hours"])
def test_a_forced_closure_or_shorter_hours_re_plan_the_steps_they_cover_and_only_those(
    small_network, django_capture_on_commit_callbacks, how
):
    stuttgart = mill("Stuttgart")
    covered = order_with((stuttgart, at(2, 8), 2, "accepted"))
    spared = order_with((stuttgart, at(4, 8), 2, "accepted"))
    with django_capture_on_commit_callbacks(execute=True):
        if how == "closure":
            capacity_exception_add(
                user=small_network["bob"],
                machine=stuttgart,
                starts_at=at(2, 0),
                ends_at=at(3, 0),
                force=True,
            )
        else:  # open only from Thursday on: the Wednesday booking loses its hours
            weekly_hours_set(
                user=small_network["bob"],
                machine=stuttgart,
                slots=[(day, time(7), time(19)) for day in range(3, 5)],
                force=True,
            )
    stuttgart.refresh_from_db()
    assert stuttgart.status == "available"
    (moved,) = live_jobs(covered)
    old = covered.jobs.get(status="superseded")
    assert old.machine_id == stuttgart.pk
    assert (moved.status, moved.booking.kind) == ("offered", "hold")
    # Elsewhere, or on the same machine at a time it is open: never in the lost Wednesday.
    if moved.machine_id == stuttgart.pk:
        assert moved.planned_end <= at(2, 0) or moved.planned_start >= at(3, 0)
    assert covered.events.filter(kind="order.outage", reason__contains="closed").exists()
    (kept,) = live_jobs(spared)
    assert (kept.machine_id, kept.status) == (stuttgart.pk, "accepted")
    assert not Job.objects.filter(needs_replan=True).exists()
    assert_no_double_booking()


def test_done_steps_stay_and_a_running_step_is_superseded_with_one_live_job(
    small_network, django_capture_on_commit_callbacks
):
    order = order_with(
        (mill("Stuttgart"), at(2, 8), 2, "done"),
        (deburr("Stuttgart"), at(2, 10), 2, "in_progress", 40),
    )
    done = order.jobs.get(status="done")
    take_down(
        [mill("Stuttgart"), deburr("Stuttgart")],
        small_network["bob"],
        django_capture_on_commit_callbacks,
    )
    moved_done = order.jobs.get(pk=done.pk)
    assert (moved_done.status, moved_done.machine_id, moved_done.planned_start) == (
        "done",
        done.machine_id,
        done.planned_start,
    )
    assert order.jobs.filter(step_key=done.step_key).count() == 1
    running = order.jobs.get(step_key="step-1", status="superseded")
    assert running.booking is None
    live = order.jobs.filter(step_key="step-1", status__in=LIVE)
    assert live.count() == 1
    assert live.get().machine_id == deburr("Eindhoven").pk
    event = order.events.get(kind="job.superseded")
    assert "40%" in event.reason


@pytest.mark.parametrize("closed", ["delivered", "completed", "cancelled", "shipped"])
def test_closed_orders_are_never_replanned(
    small_network, django_capture_on_commit_callbacks, closed
):
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), status=closed)
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    assert list(order.jobs.values_list("status", flat=True)) == ["accepted"]
    assert not order.events.exists()


def test_the_due_date_with_the_delivery_leg_is_kept(
    small_network, operator_olga, django_capture_on_commit_callbacks
):
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=at(6, 12))
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    delivery = order.shipments.get(status=Shipment.Status.PLANNED, destination__isnull=True)
    assert delivery.planned_arrival <= order.promised_delivery_at
    assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    assert not Notification.objects.filter(user=operator_olga).exists()


# Stuttgart to the customer in Munich (tests/factories): about 250 road km.
BY_ROAD = math.ceil(road_km(48.7758, 9.1829, 48.1351, 11.582) / 600 * 24 * 60)  # minutes


@pytest.mark.parametrize(("courier_hours", "leg_minutes"), [(4, BY_ROAD), (None, 24 * 60)])
def test_an_outage_re_plan_sends_the_parts_by_the_carriers_direct_courier(
    small_network, django_capture_on_commit_callbacks, courier_hours, leg_minutes
):
    """The carrier drives 600 km a day: by its courier of 4 h at least, the delivery leg
    takes the drive (about ten hours); with no courier declared, a day as always."""
    Carrier.objects.update(urgent_leg_hours=courier_hours)
    order = order_with(
        (mill("Stuttgart"), at(2, 8), 2, "done"), (deburr("Eindhoven"), at(3, 8), 1, "accepted")
    )
    take_down([deburr("Eindhoven")], small_network["charlie"], django_capture_on_commit_callbacks)
    assert live_jobs(order).get(step_key="step-1").machine_id == deburr("Stuttgart").pk
    delivery = order.shipments.get(status=Shipment.Status.PLANNED, destination__isnull=True)
    took = delivery.planned_arrival - delivery.planned_departure
    assert took == timedelta(minutes=leg_minutes)
    assert 4 * 60 < BY_ROAD < 24 * 60


def test_a_due_date_that_cannot_be_kept_goes_to_operators_with_the_options(
    small_network, operator_olga, django_capture_on_commit_callbacks
):
    promised = timezone.now() + timedelta(hours=1)  # no mill and carrier make it in time
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=promised)
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    notice = Notification.objects.get(user=operator_olga, kind="order.replan_failed")
    assert order.reference in notice.title
    assert "later delivery date" in notice.body
    assert "higher price" in notice.body
    assert "after the promised" in notice.body


def test_a_missed_due_date_is_escalated_with_the_new_date_and_the_cost_above_the_price(
    small_network, operator_olga, django_capture_on_commit_callbacks
):
    promised = timezone.now() + timedelta(hours=1)
    order = order_with(
        (mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=promised, price_minor=100
    )
    customer = UserFactory()
    MembershipFactory(user=customer, organization=order.organization)
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    delivery = order.shipments.get(status=Shipment.Status.PLANNED, destination__isnull=True)
    job = live_jobs(order).get()
    cost = job.cost_minor + sum(
        order.shipments.filter(status="planned").values_list("cost_minor", flat=True)
    )
    notices = Notification.objects.filter(kind="order.replan_failed")
    assert {n.user for n in notices} >= {operator_olga, customer}
    for body in {n.body for n in notices}:
        assert f"{delivery.planned_arrival:%a %d %b %H:%M} (the new plan's)" in body
        assert f"pay {(cost - 100) / 100:.2f} EUR above the price of 1.00 EUR" in body
        assert "split the order" in body


def test_one_outage_is_one_solve_over_every_affected_order(
    small_network, django_capture_on_commit_callbacks
):
    stuttgart = mill("Stuttgart")
    orders = [order_with((stuttgart, at(2, 8 + 3 * i), 3, "accepted")) for i in range(3)]
    with (
        mock.patch.object(matcher, "replan_orders", wraps=matcher.replan_orders) as solve,
        mock.patch.object(matcher, "replan_assignments") as alone,
    ):
        take_down([stuttgart], small_network["bob"], django_capture_on_commit_callbacks)
    assert solve.call_count == 1
    assert {o.order_id for o in solve.call_args.args[0]} == {o.pk for o in orders}
    alone.assert_not_called()
    for order in orders:
        assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    assert_no_double_booking()


def test_a_joint_solve_that_breaks_falls_back_to_one_order_at_a_time(
    small_network, django_capture_on_commit_callbacks
):
    stuttgart = mill("Stuttgart")
    orders = [order_with((stuttgart, at(2, 8 + 3 * i), 3, "accepted")) for i in range(2)]
    with transaction.atomic():
        Machine.objects.filter(pk=stuttgart.pk).update(status=Machine.Status.DOWN)
    with mock.patch.object(matcher, "replan_orders", side_effect=RuntimeError("solver")):
        report = outage_replan()
    assert (report["joint"], report["replanned"], report["failed"]) == (False, 2, 0)
    for order in orders:
        assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    assert_no_double_booking()


def test_a_rerun_of_the_outage_moves_nothing_more(
    small_network, django_capture_on_commit_callbacks
):
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"))
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    before = list(order.jobs.values_list("pk", "status", "machine_id"))
    assert outage_replan()["orders"] == 0
    assert list(order.jobs.values_list("pk", "status", "machine_id")) == before


def test_a_step_replanned_to_start_at_once_still_gives_the_workshop_time_to_accept(
    small_network, django_capture_on_commit_callbacks
):
    eindhoven = small_network["eindhoven"]
    eindhoven.min_lead_time_hours = 0
    eindhoven.save(update_fields=["min_lead_time_hours"])
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"))
    now = at(2, 7)
    with time_machine.travel(now, tick=False) as clock:
        take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
        job = live_jobs(order).get()
        assert job.machine_id == mill("Eindhoven").pk
        assert job.planned_start < now + timedelta(minutes=REPLAN_ACCEPT_MINUTES)
        assert job.accept_by == now + timedelta(minutes=REPLAN_ACCEPT_MINUTES)
        assert job.booking.kind == "hold"
        assert job.booking.expires_at == job.accept_by
        clock.move_to(now + timedelta(minutes=45))
        assert orders_housekeeping()["missed"] == 0
        job.refresh_from_db()
        job = job_accept(user=small_network["charlie"], job=job)
        assert (job.status, job.booking.kind) == ("accepted", "booking")


@given(
    start=st.integers(min_value=-120, max_value=4 * 24 * 60),
    replanned=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_an_offer_is_open_until_its_start_within_a_day_and_a_replan_an_hour_at_least(
    start, replanned
):
    now = at(3, 10)
    with time_machine.travel(now, tick=False):
        deadline = acceptance_deadline(now + timedelta(minutes=start), replanned=replanned)
    assert deadline <= now + timedelta(hours=24)
    if replanned:
        assert deadline >= now + timedelta(minutes=REPLAN_ACCEPT_MINUTES)
        assert deadline <= max(now + timedelta(minutes=start), now + timedelta(hours=1))
    else:
        assert deadline == min(now + timedelta(minutes=start), now + timedelta(hours=24))


# -- random outages ----------------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["Stuttgart", "Eindhoven"]),
        st.integers(min_value=1, max_value=4),  # day
        st.integers(min_value=6, max_value=18),  # hour
        st.sampled_from(["offered", "accepted", "done"]),
    ),
    min_size=2,
    max_size=4,
)


def done_steps() -> set[tuple]:
    return set(Job.objects.filter(status="done").values_list("pk", "machine_id", "planned_start"))


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, down=st.sets(st.sampled_from(["Stuttgart", "Eindhoven"]), min_size=1))
def test_random_outages_never_double_book_or_move_a_done_step(small_network, steps, down):
    with transaction.atomic():
        for city, day, hour, status in steps:
            machine = mill(city)
            start = at(day, hour)
            taken = Job.objects.filter(
                machine=machine, planned_start__lt=start + timedelta(hours=2)
            ).filter(planned_end__gt=start)
            if not taken.exists():
                order_with((machine, start, 2, status))
        done = done_steps()
        Machine.objects.filter(name__startswith="Mill of", workshop__city__in=down).update(
            status=Machine.Status.DOWN
        )
        outage_replan()
        assert_no_double_booking()
        assert done_steps() == done
        transaction.set_rollback(True)
