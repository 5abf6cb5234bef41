"""The outage simulation's figures (marketplace/demo/disruption_figures.py): an order counts as
on time only on a plan that is booked on working machines and delivers by the promise."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Notification
from marketplace.demo.disruption_figures import (
    double_booked,
    escalations,
    not_on_time,
    plan_problem,
)
from marketplace.network.models import Machine
from marketplace.orders.models import Job, Shipment
from tests.factories import CapacityBookingFactory, UserFactory
from tests.factories.orders import JobFactory, OrderFactory, ShipmentFactory
from tests.helpers import at

pytestmark = pytest.mark.django_db

JOB_STATUSES = Job.Status.values
AHEAD = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)


def _booked(job: Job) -> Job:
    job.booking = CapacityBookingFactory(
        machine=job.machine, starts_at=job.planned_start, ends_at=job.planned_end
    )
    job.save(update_fields=["booking"])
    return job


def _plan(*, statuses, booked, machine_up, leg_after_end_h, arrival_vs_promise_h):
    """An order with one job per status (one a day), and its leg to the customer leaving
    ``leg_after_end_h`` after the last live job ends (None: no leg) and arriving
    ``arrival_vs_promise_h`` after the promise."""
    order = OrderFactory(status="in_production")
    jobs = []
    for sequence, status in enumerate(statuses):
        job = JobFactory(order=order, sequence=sequence, status=status)
        if booked[sequence]:
            _booked(job)
        if not machine_up[sequence]:
            Machine.objects.filter(pk=job.machine_id).update(status=Machine.Status.DOWN)
        jobs.append(job)
    live = [j for j in jobs if j.status in Job.ACTIVE]
    last_end = max(j.planned_end for j in live) if live else at(0, 12)
    if leg_after_end_h is not None:
        departure = last_end + timedelta(hours=leg_after_end_h)
        arrival = departure + timedelta(days=1)
        order.promised_delivery_at = arrival - timedelta(hours=arrival_vs_promise_h)
        order.save(update_fields=["promised_delivery_at"])
        ShipmentFactory(
            order=order,
            destination=None,
            origin=jobs[-1].workshop,
            planned_departure=departure,
            planned_arrival=arrival,
        )
    return order


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.integers(min_value=1, max_value=4).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from(JOB_STATUSES), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    ),
    leg_after_end_h=st.one_of(st.none(), st.integers(min_value=-3, max_value=3)),
    arrival_vs_promise_h=st.integers(min_value=-5, max_value=5),
)
def test_an_order_is_on_time_exactly_when_its_plan_is_booked_up_and_delivers_by_the_promise(
    plan, leg_after_end_h, arrival_vs_promise_h
):
    statuses, booked, machine_up = plan
    order = _plan(
        statuses=statuses,
        booked=booked,
        machine_up=machine_up,
        leg_after_end_h=leg_after_end_h,
        arrival_vs_promise_h=arrival_vs_promise_h,
    )
    steps = list(zip(statuses, booked, machine_up, strict=True))
    expected = (
        all(
            status in (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS) and is_booked and up
            for status, is_booked, up in steps
            if status in AHEAD
        )
        and leg_after_end_h is not None
        and (leg_after_end_h >= 0 or not any(s in Job.ACTIVE for s in statuses))
        and arrival_vs_promise_h <= 0
    )
    assert (plan_problem(order) is None) == expected, plan_problem(order)


def test_an_offered_step_is_not_a_booked_plan():
    order = OrderFactory(status="in_production")
    job = JobFactory(order=order, status=Job.Status.OFFERED)
    ShipmentFactory(
        order=order,
        destination=None,
        origin=job.workshop,
        planned_departure=job.planned_end,
        planned_arrival=order.promised_delivery_at - timedelta(hours=1),
    )
    assert "not booked" in plan_problem(order)


def test_a_step_booked_on_a_machine_that_is_down_is_not_on_time():
    order = OrderFactory(status="in_production")
    job = _booked(JobFactory(order=order, status=Job.Status.ACCEPTED))
    ShipmentFactory(
        order=order,
        destination=None,
        origin=job.workshop,
        planned_departure=job.planned_end,
        planned_arrival=order.promised_delivery_at,
    )
    assert plan_problem(order) is None
    Machine.objects.filter(pk=job.machine_id).update(status=Machine.Status.DOWN)
    assert "which is down" in plan_problem(order)


def test_superseded_legs_and_closed_orders_do_not_count():
    order = OrderFactory(status="in_production")
    job = _booked(JobFactory(order=order, status=Job.Status.ACCEPTED))
    ShipmentFactory(
        order=order,
        destination=None,
        origin=job.workshop,
        status=Shipment.Status.SUPERSEDED,
        planned_departure=job.planned_end,
        planned_arrival=order.promised_delivery_at,
    )
    closed = OrderFactory(status="cancelled")
    live, late = not_on_time([order.pk, closed.pk])
    assert live == 1
    assert late == {order.reference: "no leg to the customer is planned"}


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL's exclusion constraint makes overlapping bookings impossible to store",
)
def test_overlapping_bookings_of_one_machine_are_counted_once_per_pair():
    first = CapacityBookingFactory(starts_at=at(0, 8), ends_at=at(0, 10))
    CapacityBookingFactory(machine=first.machine, starts_at=at(0, 9), ends_at=at(0, 11))
    CapacityBookingFactory(machine=first.machine, starts_at=at(0, 11), ends_at=at(0, 12))
    CapacityBookingFactory(starts_at=at(0, 8), ends_at=at(0, 10))  # another machine
    assert double_booked() == 1


def test_escalations_name_the_orders_sent_to_operators_with_the_last_reason():
    order = OrderFactory()
    other = OrderFactory()
    operator = UserFactory()
    url = reverse("order_detail", args=[order.pk])
    notices = [
        Notification.objects.create(user=operator, kind=kind, url=url, body=body)
        for kind, body in (
            ("order.replan_failed", "first"),
            ("order.replanned", "not this"),
            ("order.replan_failed", "last"),
        )
    ]
    assert escalations([order.pk, other.pk], notices) == {order.reference: "last"}
