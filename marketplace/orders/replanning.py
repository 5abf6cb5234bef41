"""Re-planning an order's remaining steps after a decline, a late step or a machine outage."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import member_users
from accounts.services import notify
from marketplace.network.models import Machine
from marketplace.orders import matcher
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import (
    Job,
    Order,
    OrderEvent,
    Shipment,
)
from marketplace.orders.notices import announce
from marketplace.orders.plans import acceptance_deadline, job_booking_release, shipment_from_leg


def _current_assignment(job: Job, *, declined: bool = False) -> matcher.CurrentAssignment:
    """A job as the matcher's re-planning sees it (a declined one counts as still planned)."""
    status = {Job.Status.DONE: "done", Job.Status.IN_PROGRESS: "running"}.get(job.status, "planned")
    return matcher.CurrentAssignment(
        job_key=job.job_key,
        step_key=job.step_key,
        machine_id=job.machine_id,
        start=job.planned_start,
        end=job.planned_end,
        status="planned" if declined else status,
        process_code=job.process.code,
        duration_minutes=int((job.planned_end - job.planned_start).total_seconds() // 60),
        cost_minor=0 if declined else job.cost_minor,
        material_code=None if declined or not job.line else job.line.material.code,
        part_dims_mm=None if declined else _part_dims(job),
    )


def replan_order(*, order: Order, change, declined: Job | None = None) -> list[Job]:
    """Re-solves the steps not yet started; moved steps become new offers elsewhere."""
    active = list(
        order.jobs.filter(status__in=Job.ACTIVE).select_related(
            "machine", "process", "line__material", "line__revision"
        )
    )
    current = [_current_assignment(job) for job in active]
    if declined is not None:
        current.append(_current_assignment(declined, declined=True))
    result = matcher.replan_assignments(
        order_id=order.pk,
        assignments=current,
        change=change,
        now=timezone.now(),
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        assembly_job=order.option.route.get("assembly_job"),
        due=dict.fromkeys({a.job_key for a in current}, order.promised_delivery_at),
    )
    if not result.ok:
        announce(
            order,
            "order.replan_failed",
            f"Order {order.reference} needs an operator",
            " ".join(result.reasons) or "No other workshop can take over the step.",
        )
        return []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.plan_version += 1
        order.save(update_fields=["plan_version"])
        by_key = {(j.job_key, j.step_key): j for j in active}
        active_pks = {j.pk for j in active}
        created = []
        for new in result.moved:
            old = by_key.get((new.job_key, new.step_key)) or declined
            if old is not None:
                created.append(_offer_replacement(order, old, new, supersede=old.pk in active_pks))
        _rebuild_legs(order)
        _record_replan(order, created, result.summary)
    return created


def _offer_replacement(order: Order, old: Job, new, *, supersede: bool) -> Job:
    """The step moved by the re-plan, offered on its new machine; a pending old job is retired."""
    if supersede and old.status not in (Job.Status.DONE, Job.Status.IN_PROGRESS):
        job_booking_release(old)
        old.status = Job.Status.SUPERSEDED
        old.save(update_fields=["status"])
    machine = Machine.objects.select_related("workshop").get(pk=new.machine_id)
    return Job.objects.create(
        order=order,
        job_key=old.job_key,
        step_key=old.step_key,
        name=old.name,
        process=old.process,
        line=old.line,
        workshop=machine.workshop,
        machine=machine,
        sequence=old.sequence,
        planned_start=new.start,
        planned_end=new.end,
        accept_by=acceptance_deadline(new.start),
        status=Job.Status.OFFERED if order.status != OrderStatus.PLACED else Job.Status.PLANNED,
        cost_minor=new.cost_minor,
        runner_up_cost_minor=old.runner_up_cost_minor,
        estimate_cost_minor=old.estimate_cost_minor,
        why=f"Re-planned: {new.reason}" if getattr(new, "reason", "") else "Re-planned",
        plan_version=order.plan_version,
    )


def _record_replan(order: Order, created: list[Job], summary: str) -> None:
    """The audit event, the parties' notice and each receiving workshop's new-job notice."""
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        kind="order.replanned",
        role=Role.SYSTEM,
        reason=f"Re-planned {len(created)} step(s): {summary}"[:500],
    )
    announce(order, "order.replanned", f"Order {order.reference} was re-planned", summary)
    for workshop in {job.workshop for job in created}:
        notify(
            users=member_users(workshop.organization_id),
            kind="job.offered",
            title=f"New job for {workshop}: order {order.reference}",
            url=reverse("job_board"),
        )


def _part_dims(job: Job) -> tuple[float, float, float] | None:
    bbox = job.line.revision.bbox_mm if job.line else None
    return tuple(sorted(bbox, reverse=True)) if bbox else None


def _rebuild_legs(order: Order) -> None:
    """Planned legs follow the current jobs: between workshops of one part, then to the customer."""
    order.shipments.filter(status=Shipment.Status.PLANNED).update(status=Shipment.Status.SUPERSEDED)
    legs = matcher.legs_for_jobs(
        jobs=[
            (j.job_key, j.workshop_id, j.planned_end)
            for j in order.jobs.filter(status__in=Job.ACTIVE).order_by("sequence")
        ],
        assembly_job=order.option.route.get("assembly_job"),
        ship_to=(float(order.request.ship_to_latitude), float(order.request.ship_to_longitude)),
    )
    for leg in legs:
        exists = (
            order.shipments.filter(
                job_key=leg["job"],
                origin_id=leg["origin_workshop_id"],
                destination_id=leg.get("destination_workshop_id"),
            )
            .exclude(status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED])
            .exists()
        )
        if exists:
            continue
        shipment_from_leg(order, leg, version=order.plan_version)


def on_machine_unavailable(sender, *, machine: Machine, until, affected_bookings, **kwargs) -> None:
    """A machine went down: every order with steps booked on it is re-planned."""
    jobs = Job.objects.filter(booking__in=affected_bookings).select_related("order")
    for order in {job.order for job in jobs}:
        replan_order(
            order=order,
            change=matcher.MachineDownChange(machine_id=machine.pk, at=timezone.now(), until=until),
        )
