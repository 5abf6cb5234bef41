"""An order's plan made concrete: jobs and legs from a route, acceptance deadlines, releases."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marketplace.network.models import CapacityBooking, Machine, Process
from marketplace.network.services import capacity_release
from marketplace.orders.models import (
    Job,
    Order,
    Shipment,
)
from matching.routes import OptionDict, RouteLegDict


def plan_create(order: Order, route: OptionDict, *, version: int) -> None:
    """Jobs and shipment legs from a solved route (see matching.routes.OptionDict)."""
    lines = {str(line.pk): line for line in order.option.request.lines.all()}
    processes = {p.code: p for p in Process.objects.all()}
    machines = Machine.objects.in_bulk([s["machine_id"] for s in route["steps"]])
    for sequence, step in enumerate(route["steps"]):
        machine = machines[step["machine_id"]]
        start = parse_datetime(step["start"])
        job = Job.objects.create(
            order=order,
            job_key=step["job"],
            step_key=step["step"],
            name=step["name"],
            process=processes.get(step["process"], machine.process),
            line=lines.get(step.get("line_id") and str(step["line_id"])),
            workshop_id=machine.workshop_id,
            machine=machine,
            sequence=sequence,
            planned_start=start,
            planned_end=parse_datetime(step["end"]),
            accept_by=acceptance_deadline(start),
            cost_minor=step["cost_minor"],
            runner_up_cost_minor=step.get("runner_up_cost_minor"),
            estimate_cost_minor=step.get("estimate_cost_minor"),
            why=step.get("why", ""),
            plan_version=version,
        )
        job_hold_place(job)
    for leg in route.get("legs", []):
        shipment_from_leg(order, leg, version=version)


def shipment_from_leg(order: Order, leg: RouteLegDict, *, version: int) -> Shipment:
    """A planned leg as the matcher describes it (see matching.routes.RouteLegDict)."""
    return Shipment.objects.create(
        order=order,
        job_key=leg["job"],
        origin_id=leg["origin_workshop_id"],
        destination_id=leg.get("destination_workshop_id"),
        carrier_id=leg["carrier_id"],
        planned_departure=parse_datetime(leg["depart"]),
        planned_arrival=parse_datetime(leg["arrive"]),
        km=int(leg["km"]),
        cost_minor=leg["cost_minor"],
        runner_up_cost_minor=leg.get("runner_up_cost_minor"),
        estimate_cost_minor=leg.get("estimate_cost_minor"),
        co2_g=int(leg["co2_g"]),
        plan_version=version,
    )


REPLAN_ACCEPT_MINUTES = 60  # minutes a workshop has at least to accept a re-planned step


def acceptance_deadline(start: datetime, *, replanned: bool = False) -> datetime:
    """Workshops answer within JOB_ACCEPT_WITHIN_HOURS, and never after the step would start.

    A re-planned step often starts soon (the free time nearest after a breakdown), so its
    offer stays open ``REPLAN_ACCEPT_MINUTES`` at least, even past the planned start: an
    offer that expires the minute it is made is never accepted, its hold lapses and the
    order is re-planned again. A late acceptance starts the step late by minutes.
    """
    now = timezone.now()
    deadline = min(start, now + timedelta(hours=settings.JOB_ACCEPT_WITHIN_HOURS))
    if replanned:
        deadline = max(deadline, now + timedelta(minutes=REPLAN_ACCEPT_MINUTES))
    return deadline


def job_hold_place(job: Job) -> CapacityBooking | None:
    """Holds the job's machine time until its acceptance deadline, so that no other quote or
    re-plan is offered the same time; the hold becomes the booking when the job is accepted.

    Best effort: when the time is no longer free (taken since the quote was read) the job is
    offered without a hold and its acceptance is refused as before. The machine row is
    locked like ``capacity_book`` does, so holds and bookings of one machine queue up.
    """
    now = timezone.now()
    if job.booking_id or job.accept_by <= now:
        return None
    with transaction.atomic():
        Machine.objects.select_for_update().filter(pk=job.machine_id).first()
        overlapping = CapacityBooking.all_objects.filter(
            machine_id=job.machine_id, starts_at__lt=job.planned_end, ends_at__gt=job.planned_start
        )
        if overlapping.live(now).exists():
            return None
        overlapping.filter(kind=CapacityBooking.Kind.HOLD).delete()  # lapsed ones
        try:
            with transaction.atomic():
                hold = CapacityBooking.all_objects.create(
                    machine_id=job.machine_id,
                    starts_at=job.planned_start,
                    ends_at=job.planned_end,
                    kind=CapacityBooking.Kind.HOLD,
                    expires_at=job.accept_by,
                    reference=f"Offer: {job.order.reference} · {job.name}"[:100],
                )
        except IntegrityError:
            return None
        job.booking = hold
        job.save(update_fields=["booking"])
    return hold


def job_booking_release(job: Job) -> None:
    """The job's booking or hold goes back to the machine (decline, cancel, supersede)."""
    if job.booking_id:
        booking = job.booking
        job.booking = None
        job.save(update_fields=["booking"])
        capacity_release(booking=booking)
