"""Re-planning an order's remaining steps after a decline, a late step or a machine outage.

An outage (one machine, several, a whole workshop) is one event handled in the background:
``on_machine_unavailable`` only enqueues ``outage_replan_task`` (coalescing the machines that
go down within ``OUTAGE_COALESCE_SECONDS``), and ``outage_replan`` re-plans every affected
open order in one pass. Each order's new offers hold their machine time before the next
order reads the network, so no two orders are offered the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import member_users, operator_users
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
from marketplace.orders.plans import (
    acceptance_deadline,
    job_booking_release,
    job_hold_place,
    shipment_from_leg,
)
from matching.replanning import replan_window

logger = logging.getLogger(__name__)

# Orders whose plan may still change; delivered, completed, cancelled, expired (and shipped
# or disputed) orders are never re-planned.
REPLANNABLE = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.IN_PRODUCTION)
OUTAGE_PENDING_KEY = "orders:outage:pending"
OUTAGE_RUNNING_KEY = "orders:outage:running"


def _current_assignment(
    job: Job, *, declined: bool = False, lost: bool = False
) -> matcher.CurrentAssignment:
    """A job as the matcher's re-planning sees it (a declined one counts as still planned; a
    running one lost on a broken machine is planned again for what is left of it)."""
    status = {Job.Status.DONE: "done", Job.Status.IN_PROGRESS: "running"}.get(job.status, "planned")
    minutes = int((job.planned_end - job.planned_start).total_seconds() // 60)
    if lost:
        minutes = max(1, minutes * (100 - job.progress_percent) // 100)
    return matcher.CurrentAssignment(
        job_key=job.job_key,
        step_key=job.step_key,
        machine_id=job.machine_id,
        start=job.planned_start,
        end=job.planned_end,
        status="planned" if declined or lost else status,
        process_code=job.process.code,
        duration_minutes=minutes,
        cost_minor=0 if declined else job.cost_minor,
        material_code=None if declined or not job.line else job.line.material.code,
        part_dims_mm=None if declined else _part_dims(job),
    )


def replan_order(
    *,
    order: Order,
    change,
    declined: Job | None = None,
    down: Iterable[int] = (),
) -> list[Job]:
    """Re-solves the steps not yet started; moved steps become new offers elsewhere.

    Done steps stay where they are; a step running on a machine in ``down`` (or the changed
    one) is lost: it is superseded explicitly and what is left of it offered elsewhere.
    Closed orders are left alone. The customer's due date counts with the delivery leg.
    """
    order = Order.objects.get(pk=order.pk)
    if order.status not in REPLANNABLE:
        return []
    down = set(down)
    if isinstance(change, matcher.MachineDownChange):
        down.add(change.machine_id)
    active = list(
        order.jobs.filter(status__in=Job.ACTIVE).select_related(
            "machine", "process", "line__material", "line__revision", "workshop"
        )
    )
    lost = {j.pk for j in active if j.status == Job.Status.IN_PROGRESS and j.machine_id in down}
    current = [_current_assignment(job, lost=job.pk in lost) for job in active]
    if declined is not None:
        current.append(_current_assignment(declined, declined=True))
    request = order.request
    now = timezone.now()
    # From a minute before now at least, so that a done step is placed as ended by now.
    origin, days = replan_window(current, now - timedelta(minutes=1))
    result = matcher.replan_assignments(
        snapshot=matcher.network_snapshot(origin=origin, horizon_days=days, now=now),
        order_id=order.pk,
        assignments=current,
        change=change,
        now=now,
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        assembly_job=order.option.route.get("assembly_job"),
        due=dict.fromkeys({a.job_key for a in current}, order.promised_delivery_at),
        ship_to=(float(request.ship_to_latitude), float(request.ship_to_longitude)),
    )
    if not result.ok:
        reason = " ".join(result.reasons) or "No other workshop can take over the step."
        _escalate(order, reason)
        return []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.plan_version += 1
        order.save(update_fields=["plan_version"])
        by_key = {(j.job_key, j.step_key): j for j in active}
        active_pks = {j.pk for j in active}
        created = []
        losing: dict[int, list[str]] = {}
        for new in result.moved:
            old = by_key.get((new.job_key, new.step_key)) or declined
            if old is None or old.status == Job.Status.DONE:
                continue
            if old.status == Job.Status.IN_PROGRESS and old.pk not in lost:
                continue
            created.append(_offer_replacement(order, old, new, supersede=old.pk in active_pks))
            if old.workshop_id != created[-1].workshop_id:
                losing.setdefault(old.workshop.organization_id, []).append(new.reason or old.name)
        carriers = _rebuild_legs(order)
        _record_replan(order, created, result.summary, losing=losing, carriers=carriers)
        _check_promise(order)
    return created


def _offer_replacement(order: Order, old: Job, new, *, supersede: bool) -> Job:
    """The step moved by the re-plan, offered on its new machine with a hold on its time.

    The old job is retired first: a pending one is superseded, a running one lost on a
    broken machine too, with its partial progress written into the order's timeline, so
    that one step never has two live jobs.
    """
    if supersede and old.status != Job.Status.DONE:
        if old.status == Job.Status.IN_PROGRESS:
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                kind="job.superseded",
                role=Role.SYSTEM,
                reason=(
                    f"{old.name} stopped at {old.progress_percent}% on {old.machine} "
                    f"({old.workshop}) when the machine went down; the rest is re-planned."
                )[:500],
            )
        job_booking_release(old)
        old.status = Job.Status.SUPERSEDED
        old.save(update_fields=["status"])
    machine = Machine.objects.select_related("workshop").get(pk=new.machine_id)
    job = Job.objects.create(
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
    job_hold_place(job)
    return job


def _record_replan(
    order: Order,
    created: list[Job],
    summary: str,
    *,
    losing: dict[int, list[str]],
    carriers: set[int],
) -> None:
    """The audit event and, in words, everyone the re-plan touches: the order's parties, each
    workshop losing or receiving a step and each carrier whose legs changed."""
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        kind="order.replanned",
        role=Role.SYSTEM,
        reason=f"Re-planned {len(created)} step(s): {summary}"[:500],
    )
    announce(order, "order.replanned", f"Order {order.reference} was re-planned", summary)
    for organization_id, reasons in losing.items():
        notify(
            users=member_users(organization_id),
            kind="job.moved",
            title=f"Order {order.reference}: {len(reasons)} step(s) moved away from you",
            body=" ".join(reasons),
            url=reverse("job_board"),
        )
    for workshop in {job.workshop for job in created}:
        notify(
            users=member_users(workshop.organization_id),
            kind="job.offered",
            title=f"New job for {workshop}: order {order.reference}",
            body=" ".join(j.why for j in created if j.workshop_id == workshop.pk),
            url=reverse("job_board"),
        )
    if carriers:
        notify(
            users=member_users(*carriers),
            kind="shipment.changed",
            title=f"Order {order.reference}: your legs changed",
            body="The order was re-planned; see the new pick-up and drop-off times.",
            url=reverse("order_detail", args=[order.pk]),
        )


def _escalate(order: Order, reason: str) -> None:
    """What needs a person goes to the operators as well as to the order's parties."""
    body = (
        f"{reason} Options: agree a later delivery date with the customer, or find capacity at "
        "a higher price (express, overtime or another workshop); the operator decides."
    )
    title = f"Order {order.reference} needs an operator"
    announce(order, "order.replan_failed", title, body)
    notify(
        users=operator_users(),
        kind="order.replan_failed",
        title=title,
        body=body,
        url=reverse("order_detail", args=[order.pk]),
    )


def _check_promise(order: Order) -> None:
    """The customer's due date includes the delivery leg; a plan that misses it, or costs
    more than the customer pays, is sent to operators with the options."""
    legs = order.shipments.filter(status=Shipment.Status.PLANNED)
    arrival = legs.filter(destination__isnull=True).aggregate(m=Max("planned_arrival"))["m"]
    if arrival is None:
        arrival = order.jobs.filter(status__in=Job.ACTIVE).aggregate(m=Max("planned_end"))["m"]
    reasons = []
    if arrival is not None and arrival > order.promised_delivery_at:
        reasons.append(
            f"The new plan delivers on {arrival:%a %d %b %H:%M}, after the promised "
            f"{order.promised_delivery_at:%a %d %b %H:%M}."
        )
    cost = sum(order.jobs.filter(status__in=Job.ACTIVE).values_list("cost_minor", flat=True))
    cost += sum(
        order.shipments.exclude(
            status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED]
        ).values_list("cost_minor", flat=True)
    )
    if cost > order.price_minor:
        reasons.append(
            f"It costs {cost / 100:.2f} {order.currency}, more than the order's price of "
            f"{order.price_minor / 100:.2f} {order.currency}."
        )
    if reasons:
        _escalate(order, " ".join(reasons))


def _part_dims(job: Job) -> tuple[float, float, float] | None:
    bbox = job.line.revision.bbox_mm if job.line else None
    return tuple(sorted(bbox, reverse=True)) if bbox else None


def _rebuild_legs(order: Order) -> set[int]:
    """Planned legs follow the current jobs: between workshops of one part, then to the
    customer. Returns the organizations of the carriers whose legs were dropped or added."""
    planned = order.shipments.filter(status=Shipment.Status.PLANNED)
    before = {
        (s.job_key, s.origin_id, s.destination_id): s.carrier.organization_id
        for s in planned.select_related("carrier")
    }
    planned.update(status=Shipment.Status.SUPERSEDED)
    legs = matcher.legs_for_jobs(
        jobs=[
            (j.job_key, j.workshop_id, j.planned_end)
            for j in order.jobs.filter(status__in=Job.ACTIVE).order_by("sequence")
        ],
        assembly_job=order.option.route.get("assembly_job"),
        ship_to=(float(order.request.ship_to_latitude), float(order.request.ship_to_longitude)),
    )
    after: dict[tuple, int] = {}
    for leg in legs:
        key = (leg["job"], leg["origin_workshop_id"], leg.get("destination_workshop_id"))
        exists = (
            order.shipments.filter(job_key=key[0], origin_id=key[1], destination_id=key[2])
            .exclude(status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED])
            .exists()
        )
        if exists:
            continue
        shipment = shipment_from_leg(order, leg, version=order.plan_version)
        after[key] = shipment.carrier.organization_id
    return {org for key, org in before.items() if key not in after} | {
        org for key, org in after.items() if key not in before
    }


def on_machine_unavailable(sender, *, machine: Machine, until, affected_bookings, **kwargs) -> None:
    """A machine went down: the re-plan runs in the background, never in the status push."""
    outage_enqueue()


def outage_enqueue() -> None:
    """Enqueues one ``outage_replan_task`` (after commit) unless one is already waiting: the
    machines that go down within ``OUTAGE_COALESCE_SECONDS`` are re-planned together."""
    from marketplace.orders.tasks import outage_replan_task

    delay = settings.OUTAGE_COALESCE_SECONDS
    if cache.add(OUTAGE_PENDING_KEY, timezone.now().isoformat(), timeout=delay + 60):
        transaction.on_commit(lambda: outage_replan_task.apply_async(countdown=delay))


def affected_jobs(now: datetime):
    """Live steps of open orders on machines that are not available, within the outage."""
    return (
        Job.objects.filter(
            status__in=[
                Job.Status.PLANNED,
                Job.Status.OFFERED,
                Job.Status.ACCEPTED,
                Job.Status.IN_PROGRESS,
            ],
            order__status__in=REPLANNABLE,
        )
        .exclude(machine__status=Machine.Status.AVAILABLE)
        .filter(
            Q(machine__status_until__isnull=True)
            | Q(planned_start__lt=F("machine__status_until"))
            | Q(status=Job.Status.IN_PROGRESS)
        )
        .select_related("machine", "order")
    )


def outage_replan(*, now: datetime | None = None) -> dict:
    """Re-plans every open order with steps on a machine that is down, in one pass.

    Reads every machine down at this moment (so machines that went down a few seconds
    apart are one event), records the outage in each order's timeline, and re-plans orders
    by due date: each one's new offers hold their time before the next reads the network.
    A second run at the same time waits its turn (``OUTAGE_RUNNING_KEY``); a rerun finds
    nothing left to move and is harmless.
    """
    cache.delete(OUTAGE_PENDING_KEY)
    if not cache.add(OUTAGE_RUNNING_KEY, 1, timeout=settings.CELERY_TASK_TIME_LIMIT):
        outage_enqueue()
        return {"deferred": True}
    try:
        now = now or timezone.now()
        jobs = list(affected_jobs(now))
        down: dict[int, Machine] = {j.machine_id: j.machine for j in jobs}
        by_order: dict[int, list[Job]] = {}
        for job in jobs:
            by_order.setdefault(job.order_id, []).append(job)
        orders = sorted({j.order for j in jobs}, key=lambda o: (o.promised_delivery_at, o.pk))
        replanned = failed = 0
        for order in orders:
            machine = by_order[order.pk][0].machine
            names = ", ".join(sorted({str(j.machine) for j in by_order[order.pk]}))
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                kind="order.outage",
                role=Role.SYSTEM,
                reason=f"Outage: {names} down; the steps on them are re-planned."[:500],
            )
            try:
                replan_order(
                    order=order,
                    change=matcher.MachineDownChange(
                        machine_id=machine.pk, at=now, until=machine.status_until
                    ),
                    down=down.keys(),
                )
                replanned += 1
            except Exception:
                logger.exception("Outage re-plan failed for order %s", order.reference)
                failed += 1
                _escalate(order, "The re-plan after the outage failed.")
        return {
            "machines": len(down),
            "orders": len(orders),
            "replanned": replanned,
            "failed": failed,
        }
    finally:
        cache.delete(OUTAGE_RUNNING_KEY)
