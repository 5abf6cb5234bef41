"""Orders on the small network for the outage and recovery tests: built from factories with
their jobs in any state, and the checks every outage must pass (plain helpers, not tests)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from marketplace.network.models import CapacityBooking, Machine
from marketplace.network.services import machine_status_set
from marketplace.network.snapshot import network_snapshot
from marketplace.orders.models import Job
from marketplace.orders.plans import job_hold_place
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import at

LIVE = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)


def mill(city: str) -> Machine:
    return Machine.objects.get(name__startswith="Mill of", workshop__city=city)


def deburr(city: str) -> Machine:
    return Machine.objects.get(name__startswith="Deburr of", workshop__city=city)


def order_with(*steps, status: str = "paid", promised=None, price_minor: int = 10_000_000):
    """An order of one part whose steps are (machine, start, hours, job status, progress),
    priced (unless told) well above what any re-plan of it costs."""
    order = OrderFactory(
        status=status, promised_delivery_at=promised or at(12, 12), price_minor=price_minor
    )
    for sequence, (machine, start, hours, job_status, *progress) in enumerate(steps):
        job = JobFactory(
            order=order,
            workshop=machine.workshop,
            machine=machine,
            process=machine.process,
            sequence=sequence,
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
            accept_by=timezone.now() + timedelta(hours=24),
            status=Job.Status.OFFERED if job_status == "accepted" else job_status,
            progress_percent=progress[0] if progress else 0,
        )
        if job_status == "offered":
            job_hold_place(job)
        elif job_status in ("accepted", "in_progress", "done"):
            job.booking = CapacityBooking.objects.create(
                machine=machine, starts_at=job.planned_start, ends_at=job.planned_end, reference="x"
            )
            job.status = job_status
            job.save(update_fields=["booking", "status"])
    return order


def free_at(machine: Machine, when, *, now=None) -> bool:
    snapshot = network_snapshot(origin=timezone.now(), now=now)
    spec = snapshot.machine(str(machine.pk))
    minute = snapshot.minute(when)
    return any(lo <= minute < hi for lo, hi in spec.windows)


def take_down(machines, user, capture) -> None:
    with capture(execute=True):
        for machine in machines:
            machine_status_set(user=user, machine=machine, status="down", note="Breakdown")


def live_jobs(order):
    return order.jobs.filter(status__in=LIVE)


def assert_no_double_booking() -> None:
    now = timezone.now()
    rows = list(CapacityBooking.all_objects.live(now).order_by("machine_id", "starts_at"))
    for a, b in itertools.pairwise(rows):
        assert a.machine_id != b.machine_id or a.ends_at <= b.starts_at, (a, b)
    jobs = list(
        Job.objects.filter(status__in=LIVE)
        .exclude(status=Job.Status.DONE)
        .order_by("machine_id", "planned_start")
    )
    for a, b in itertools.pairwise(jobs):
        assert a.machine_id != b.machine_id or a.planned_end <= b.planned_start, (a, b)
