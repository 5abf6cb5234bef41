"""What the outage simulation measures, read from the database after the re-plans: whether
each live order's plan is booked on working machines and delivers by the promise, machines
booked twice, steps with two live jobs, done work moved, orders sent to operators.

Each figure is read the way a customer or an operator would check it, not from what the
services said they did: a plan counts only once every step ahead is accepted with its
machine time booked.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse

from accounts.models import Notification
from accounts.selectors import operator_users
from marketplace.network.capacity import WeeklySlot, free_intervals, total_hours
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Machine,
    WeeklyAvailability,
)
from marketplace.network.snapshot import lead_time_hours
from marketplace.orders.flow import TERMINAL
from marketplace.orders.models import Job, Order, Shipment

BOOKED = (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)
SETTLED = (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS, Job.Status.DONE)
LIVE_LEG = (Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT, Shipment.Status.DELIVERED)
LAST_LEG = timedelta(days=1)  # the shortest leg to the customer the carriers quote


@dataclass(frozen=True)
class DoneStep:
    """A step done before the outage, as it was: it must stay exactly so."""

    job_id: int
    machine_id: int
    planned_start: object
    planned_end: object


def plan_problem(order: Order) -> str | None:
    """Why the order is not on time on a booked plan (None: it is).

    On time means every step not done is accepted (or running) with its machine time booked
    on a machine that is up, and the leg to the customer, leaving after the last step ends,
    arrives by the promised date.
    """
    jobs = list(order.jobs.filter(status__in=Job.ACTIVE).select_related("machine", "booking"))
    ahead = [j for j in jobs if j.status != Job.Status.DONE]
    for job in ahead:
        if job.status not in BOOKED:
            return f"{job.name} is {job.status} on {job.machine}, not booked"
        if job.booking is None or job.booking.machine_id != job.machine_id:
            return f"{job.name} on {job.machine} has no machine time booked there"
        if job.machine.status != Machine.Status.AVAILABLE:
            return f"{job.name} is booked on {job.machine}, which is {job.machine.status}"
    final = (
        order.shipments.filter(destination__isnull=True, status__in=LIVE_LEG)
        .order_by("-planned_arrival")
        .first()
    )
    if final is None:
        return "no leg to the customer is planned"
    last_end = max((j.planned_end for j in jobs), default=None)
    if last_end is not None and final.planned_departure < last_end:
        return (
            f"the leg to the customer leaves {final.planned_departure:%a %d %b %H:%M}, before "
            f"the last step ends {last_end:%a %d %b %H:%M}"
        )
    if final.planned_arrival > order.promised_delivery_at:
        late = final.planned_arrival - order.promised_delivery_at
        return (
            f"delivers {final.planned_arrival:%a %d %b %H:%M}, "
            f"{late.total_seconds() / 3600:.1f} h after the promised "
            f"{order.promised_delivery_at:%a %d %b %H:%M}"
        )
    return None


def not_on_time(order_ids: list[int]) -> tuple[int, dict[str, str]]:
    """How many orders are live, and each live order that is not on time with the reason."""
    live = Order.objects.filter(pk__in=order_ids).exclude(status__in=TERMINAL).order_by("pk")
    problems = {}
    count = 0
    for order in live:
        count += 1
        problem = plan_problem(order)
        if problem is not None:
            problems[order.reference] = problem
    return count, problems


def double_booked() -> int:
    """Pairs of bookings of one machine that overlap (the constraint PostgreSQL enforces)."""
    pairs = 0
    bookings = CapacityBooking.objects.order_by("machine_id", "starts_at", "pk")
    for _, group in itertools.groupby(bookings, key=lambda b: b.machine_id):
        group = list(group)
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if b.starts_at >= a.ends_at:
                    break
                pairs += 1
    return pairs


def steps_double_live(order_ids: list[int]) -> int:
    """Steps with more than one live job (accepted, running or done): work paid twice."""
    live = Counter(
        Job.objects.filter(order_id__in=order_ids, status__in=SETTLED).values_list(
            "order_id", "job_key", "step_key"
        )
    )
    return sum(1 for n in live.values() if n > 1)


def done_steps(order_ids: list[int]) -> dict[tuple[int, str, str], DoneStep]:
    return {
        (j.order_id, j.job_key, j.step_key): DoneStep(
            j.pk, j.machine_id, j.planned_start, j.planned_end
        )
        for j in Job.objects.filter(order_id__in=order_ids, status=Job.Status.DONE)
    }


def done_moved(before: dict[tuple[int, str, str], DoneStep]) -> int:
    """Steps done before the outage that are no longer done where and when they were, or
    that got another live job."""
    moved = 0
    for (order_id, job_key, step_key), step in before.items():
        job = Job.objects.filter(pk=step.job_id).first()
        others = Job.objects.filter(
            order_id=order_id, job_key=job_key, step_key=step_key, status__in=Job.ACTIVE
        ).exclude(pk=step.job_id)
        if (
            job is None
            or job.status != Job.Status.DONE
            or (job.machine_id, job.planned_start, job.planned_end)
            != (step.machine_id, step.planned_start, step.planned_end)
            or others.exists()
        ):
            moved += 1
    return moved


def operator_notices(*, after_pk: int) -> list[Notification]:
    """What the operators were told since the notification ``after_pk``."""
    operators = [u.pk for u in operator_users()]
    return list(Notification.objects.filter(user_id__in=operators, pk__gt=after_pk).order_by("pk"))


def escalations(order_ids: list[int], notices: list[Notification]) -> dict[str, str]:
    """The orders sent to operators (a re-plan that found nothing, or a plan that misses the
    promise or the price), each with the last reason given."""
    orders = Order.objects.filter(pk__in=order_ids).only("pk", "reference")
    by_url = {reverse("order_detail", args=[o.pk]): o.reference for o in orders}
    sent = {}
    for notice in notices:
        if notice.kind == "order.replan_failed" and notice.url in by_url:
            sent[by_url[notice.url]] = notice.body
    return sent


def spare_capacity(down_steps: list[Job], down: list[Machine], now: datetime) -> dict:
    """Per process hit: the hours of work the outage displaces, and the free hours (opening
    hours minus closures and every booking) left on that process's working machines between
    now and the last affected promise less the leg to the customer.

    Read before the re-plan. Spare below displaced means no re-planner can keep every
    promise: the network, not the solver, is short. Spare above it is only a bound (steps
    before and after, legs and opening hours constrain further).
    """
    if not down_steps:
        return {}
    end = max(j.order.promised_delivery_at for j in down_steps) - LAST_LEG
    figures: dict[str, dict[str, float]] = {}
    for process_id in sorted({j.process_id for j in down_steps}):
        steps = [j for j in down_steps if j.process_id == process_id]
        displaced = sum((j.planned_end - max(j.planned_start, now) for j in steps), timedelta())
        machines = (
            Machine.objects.filter(process_id=process_id, status=Machine.Status.AVAILABLE)
            .exclude(pk__in=[m.pk for m in down])
            .select_related("workshop")
        )
        spare = sum(_free_hours(machine, now, end) for machine in machines)
        figures[steps[0].process.code] = {
            "displaced_h": round(displaced.total_seconds() / 3600, 1),
            "spare_h": round(spare, 1),
        }
    return figures


def _free_hours(machine: Machine, now: datetime, end: datetime) -> float:
    """Free hours a re-plan could use: from the urgent lead time on, in local hours."""
    start = now + timedelta(hours=lead_time_hours(machine.workshop, urgent=True))
    if end <= start:
        return 0.0
    slots = [
        WeeklySlot(row.weekday, row.start_time, row.end_time)
        for row in WeeklyAvailability.objects.filter(machine=machine)
    ]
    closures = CapacityException.objects.filter(
        machine=machine, ends_at__gt=start, starts_at__lt=end
    ).values_list("starts_at", "ends_at")
    bookings = CapacityBooking.objects.filter(
        machine=machine, ends_at__gt=start, starts_at__lt=end
    ).values_list("starts_at", "ends_at")
    return total_hours(
        free_intervals(
            slots, list(closures), list(bookings), start, end, zone=machine.workshop.timezone
        )
    )
