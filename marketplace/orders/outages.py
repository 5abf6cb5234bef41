"""Network events handled as one background pass: outages re-planned in one solve, and
recoveries (a machine back up, a maintenance window over) re-optimising what can improve.

A status push only enqueues a task (``outage_replan_task``, ``recovery_replan_task``), and
the machines that change within ``OUTAGE_COALESCE_SECONDS`` are handled together. An outage
solves every affected order at once (``matcher.replan_orders``) with the rest of the network's
bookings and holds as fixed capacity, so no two orders are offered the same time; a recovery
re-plans open orders one by one, late ones first, and keeps a new plan only when it makes the
order on time or cheaper by more than the move penalty. Each order is written as
``replan_order`` writes it (``replanning.replan_write``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.network.models import Machine
from marketplace.orders import matcher
from marketplace.orders.flow import Role
from marketplace.orders.models import Job, Order, OrderEvent, Shipment
from marketplace.orders.plans import job_hold_place
from marketplace.orders.replanning import (
    REPLANNABLE,
    PlanRead,
    escalate_to_operators,
    plan_delivery,
    plan_read,
    replan_order,
    replan_write,
)
from matching.replan_orders import RECOVERY_LATE_MOVE_PENALTY

logger = logging.getLogger(__name__)

OUTAGE_PENDING_KEY = "orders:outage:pending"
OUTAGE_RUNNING_KEY = "orders:outage:running"
RECOVERY_PENDING_KEY = "orders:recovery:pending"
RECOVERY_RUNNING_KEY = "orders:recovery:running"
RECOVERY_MAX_ORDERS = 20  # orders re-optimised per recovery pass, late ones first
NOT_STARTED = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED)


def on_machine_unavailable(sender, *, machine: Machine, until, affected_bookings, **kwargs) -> None:
    """A machine went down, or a forced closure or shorter hours took booked time from one
    that stays available (its jobs are marked, as nothing else tells them apart): the re-plan
    runs in the background, never in the status push."""
    if machine.status == Machine.Status.AVAILABLE and affected_bookings:
        Job.objects.filter(
            booking__in=[b.pk for b in affected_bookings], status__in=Job.ACTIVE
        ).exclude(status=Job.Status.DONE).update(needs_replan=True)
    outage_enqueue()


def outage_enqueue() -> None:
    """Enqueues one ``outage_replan_task`` (after commit) unless one is already waiting: the
    machines that go down within ``OUTAGE_COALESCE_SECONDS`` are re-planned together."""
    from marketplace.orders.tasks import outage_replan_task

    delay = settings.OUTAGE_COALESCE_SECONDS
    if cache.add(OUTAGE_PENDING_KEY, timezone.now().isoformat(), timeout=delay + 60):
        transaction.on_commit(lambda: outage_replan_task.apply_async(countdown=delay))


def affected_jobs(now: datetime):
    """Live steps of open orders on machines that are not available, within the outage, and
    steps whose time a forced closure or shorter hours took (``needs_replan``)."""
    on_down_machine = ~Q(machine__status=Machine.Status.AVAILABLE) & (
        Q(machine__status_until__isnull=True)
        | Q(planned_start__lt=F("machine__status_until"))
        | Q(status=Job.Status.IN_PROGRESS)
    )
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
        .filter(on_down_machine | Q(needs_replan=True))
        .select_related("machine", "order")
    )


def outage_replan(*, now: datetime | None = None) -> dict:
    """Re-plans every open order with steps on a machine that is down, in one solve.

    Reads every machine down at this moment (so machines that went down a few seconds
    apart are one event), records the outage in each order's timeline, and re-plans all
    affected orders together (``matcher.replan_orders``): the rest of the network's bookings
    and holds are fixed, and no two orders are offered the same time. Each order is then
    written as ``replan_order`` writes it. A second run at the same time waits its turn
    (``OUTAGE_RUNNING_KEY``); a rerun finds nothing left to move and is harmless.
    """
    cache.delete(OUTAGE_PENDING_KEY)
    if not cache.add(OUTAGE_RUNNING_KEY, 1, timeout=settings.CELERY_TASK_TIME_LIMIT):
        outage_enqueue()
        return {"deferred": True}
    try:
        return _outage_replan(now or timezone.now())
    finally:
        cache.delete(OUTAGE_RUNNING_KEY)


def _outage_replan(now: datetime) -> dict:
    jobs = list(affected_jobs(now))
    down: dict[int, Machine] = {
        j.machine_id: j.machine for j in jobs if j.machine.status != Machine.Status.AVAILABLE
    }
    by_order: dict[int, list[Job]] = {}
    for job in jobs:
        by_order.setdefault(job.order_id, []).append(job)
    orders = sorted({j.order for j in jobs}, key=lambda o: (o.promised_delivery_at, o.pk))
    changes = {}
    for order in orders:
        first = by_order[order.pk][0]
        machine = first.machine
        if machine.status == Machine.Status.AVAILABLE:  # closed or shortened, not broken
            changes[order.pk] = matcher.MachineDownChange(
                machine_id=machine.pk, at=max(now, first.planned_start), until=first.planned_end
            )
        else:
            changes[order.pk] = matcher.MachineDownChange(
                machine_id=machine.pk, at=now, until=machine.status_until
            )
        names = ", ".join(sorted({str(j.machine) for j in by_order[order.pk]}))
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            kind="order.outage",
            role=Role.SYSTEM,
            reason=(
                f"Outage: {names} down; the steps on them are re-planned."
                if machine.status != Machine.Status.AVAILABLE
                else f"{names}: closed or shorter hours over booked steps; they are re-planned."
            )[:500],
        )
    reads = [plan_read(o, change=changes[o.pk], down=down.keys()) for o in orders]
    reads = [r for r in reads if r is not None]
    results = _joint_results(reads, changes, now)
    replanned = failed = 0
    created: list[Job] = []
    for read in reads:
        order = read.order
        try:
            result = results.get(order.pk)
            jobs_now = replan_write(read, result, urgent=True) if result is not None else None
            if jobs_now is None:  # re-planned since it was read, or not solved jointly
                jobs_now = replan_order(order=order, change=changes[order.pk], down=down.keys())
            created += jobs_now
            replanned += 1
        except Exception:
            logger.exception("Outage re-plan failed for order %s", order.reference)
            failed += 1
            escalate_to_operators(order, "The re-plan after the outage failed.")
    # Marked steps are handled once: moved, or escalated with the order if nothing could take them.
    Job.objects.filter(pk__in=[j.pk for j in jobs], needs_replan=True).update(needs_replan=False)
    held = _holds_retry(created)
    return {
        "machines": len(down),
        "orders": len(orders),
        "replanned": replanned,
        "failed": failed,
        "joint": bool(results),
        "holds_placed_late": held,
    }


def _joint_results(
    reads: list[PlanRead], changes: dict[int, matcher.MachineDownChange], now: datetime
) -> dict[int, matcher.ReplanResult]:
    """One solve over every affected order; empty if it raised (each order alone then)."""
    if not reads:
        return {}
    try:
        return matcher.replan_orders(
            [read.to_replan() for read in reads],
            change=changes[reads[0].order.pk],
            now=now,
            time_limit_s=settings.OUTAGE_REPLAN_TIME_LIMIT_S,
            workers=settings.MATCHING_WORKERS,
            urgent=True,
        )
    except Exception:
        logger.exception("The joint outage re-plan failed; re-planning order by order")
        return {}


def _holds_retry(created: list[Job]) -> int:
    """Offers whose hold was refused because another order's old time was released only
    after them get it now; returns how many did."""
    placed = 0
    for job in created:
        job.refresh_from_db(fields=["booking", "status"])
        if job.status == Job.Status.OFFERED and job.booking_id is None:
            placed += job_hold_place(job) is not None
    return placed


# -- recovery ------------------------------------------------------------------------------------


def on_machine_available(sender, *, machine: Machine, previous_status: str, **kwargs) -> None:
    """A machine is back: re-optimising the orders that could use it runs in the background."""
    recovery_enqueue()


def recovery_enqueue() -> None:
    """Enqueues one ``recovery_replan_task`` (after commit) unless one is already waiting."""
    from marketplace.orders.tasks import recovery_replan_task

    delay = settings.OUTAGE_COALESCE_SECONDS
    if cache.add(RECOVERY_PENDING_KEY, timezone.now().isoformat(), timeout=delay + 60):
        transaction.on_commit(
            lambda: recovery_replan_task.apply_async(countdown=delay, queue="matching")
        )


def recovery_candidates(now: datetime) -> list[Order]:
    """Open orders with steps not yet started, late ones first (their plan delivers after
    the promise), then by promised date; at most ``RECOVERY_MAX_ORDERS``."""
    waiting = Job.objects.filter(order=OuterRef("pk"), status__in=NOT_STARTED)
    orders = (
        Order.objects.filter(status__in=REPLANNABLE)
        .filter(Exists(waiting))
        .annotate(
            delivery=Coalesce(
                Max(
                    "shipments__planned_arrival",
                    filter=Q(
                        shipments__status=Shipment.Status.PLANNED,
                        shipments__destination__isnull=True,
                    ),
                ),
                Max("jobs__planned_end", filter=Q(jobs__status__in=Job.ACTIVE)),
            )
        )
    )
    late = sorted(
        orders,
        key=lambda o: (
            not (o.delivery and o.delivery > o.promised_delivery_at),
            o.promised_delivery_at,
            o.pk,
        ),
    )
    return late[:RECOVERY_MAX_ORDERS]


def recovery_replan(*, now: datetime | None = None) -> dict:
    """Re-optimises open orders now that capacity came back, one order at a time (each one's
    new offers hold their time before the next reads the network).

    A late order may move a step for as little as ``RECOVERY_LATE_MOVE_PENALTY``, and keeps
    the new plan only if it is then on time; any order keeps a plan that costs less by more
    than ``MOVE_PENALTY`` per moved step. Running and done steps never move. Harmless to rerun.
    """
    cache.delete(RECOVERY_PENDING_KEY)
    if not cache.add(RECOVERY_RUNNING_KEY, 1, timeout=settings.CELERY_TASK_TIME_LIMIT):
        recovery_enqueue()
        return {"deferred": True}
    try:
        now = now or timezone.now()
        improved = kept = failed = 0
        for order in recovery_candidates(now):
            try:
                if _recover(order, now):
                    improved += 1
                else:
                    kept += 1
            except Exception:
                logger.exception("Recovery re-plan failed for order %s", order.reference)
                failed += 1
        return {"improved": improved, "kept": kept, "failed": failed}
    finally:
        cache.delete(RECOVERY_RUNNING_KEY)


def _recover(order: Order, now: datetime) -> bool:
    """Re-plans one order on the network as it is now; writes only an improvement."""
    change = matcher.MachineUpChange(machine_id=None, at=now)
    read = plan_read(order, change=change)
    if read is None:
        return False
    delivery = plan_delivery(order)
    late = delivery is not None and delivery > order.promised_delivery_at
    penalty = RECOVERY_LATE_MOVE_PENALTY if late else matcher.MOVE_PENALTY
    result = matcher.replan_orders(
        [read.to_replan()],
        change=change,
        now=now,
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        move_penalty=penalty,
    )[order.pk]
    due = order.promised_delivery_at
    if not matcher.recovery_improves(result, due=due, move_penalty=matcher.MOVE_PENALTY):
        return False
    note = (
        "Capacity came back: the order is on time again."
        if late
        else "Capacity came back: the order is cheaper to make."
    )
    return bool(replan_write(read, result, note=note))
