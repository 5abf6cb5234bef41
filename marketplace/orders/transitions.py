"""The one way an order or a job changes status: the tables in `flow.py`, a row lock, an event.

A workshop's moves go through ``job_transition``; the platform's own (offering paid work,
cancelling what an ended order leaves, superseding what a re-plan moved) through
``jobs_offer``, ``remaining_work_cancel`` and ``job_retire``, which read ``SYSTEM_JOB_MOVES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require_membership
from marketplace.errors import Conflict, TransitionRefused
from marketplace.orders import flow as order_flow
from marketplace.orders.flow import (
    JOB_MOVES,
    SYSTEM_JOB_MOVES,
    JobStatus,
    OrderStatus,
    Role,
    job_move_allowed,
)
from marketplace.orders.models import Job, Order, OrderEvent, Shipment
from marketplace.orders.notices import announce, job_event_record
from marketplace.orders.partner_events import job_status_emit, order_status_emit
from marketplace.orders.plans import job_booking_release
from marketplace.orders.signals import order_completing


def order_transition(
    *,
    order: Order,
    to: OrderStatus,
    role: Role,
    actor: User | None = None,
    reason: str = "",
) -> Order:
    """Moves an order to `to` if the table allows it for `role`; a repeat is harmless.

    Locks the order, returns early when it is already there, writes the audit event in the
    same transaction and tells the people involved after commit.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        current = OrderStatus(order.status)
        if current == to:
            return order
        if not order_flow.allowed(current, to, role):
            raise TransitionRefused(
                f"Order {order.reference} is {order_flow.LABELS[current].lower()}; "
                f"it cannot become {order_flow.LABELS[to].lower()} now."
            )
        order.status = to
        fields = ["status"]
        if to == OrderStatus.DELIVERED:
            order.delivered_at = timezone.now()
            fields.append("delivered_at")
        if to == OrderStatus.COMPLETED:
            order_completing.send(sender=Order, order=order, role=role)
            order.completed_at = timezone.now()
            fields.append("completed_at")
        order.save(update_fields=fields)
        OrderEvent.objects.create(
            order=order,
            from_status=current,
            to_status=to,
            actor=actor,
            role=role,
            reason=reason[:500],
        )
        announce(
            order, f"order.{to.value}", f"Order {order.reference}: {order_flow.LABELS[to]}", reason
        )
        order_status_emit(order, reason)
    return order


def job_lock(*, job: Job, user: User | None) -> Job:
    """The job locked; a person must belong to its workshop (the system acts for anyone)."""
    job = (
        Job.objects.select_for_update()
        .select_related("order", "workshop__organization")
        .get(pk=job.pk)
    )
    if user is not None:
        require_membership(user=user, organization=job.workshop.organization)
    return job


def job_transition(
    *,
    job: Job,
    to: JobStatus,
    user: User | None,
    event: str,
    text: str,
    apply: Callable[[Job], Iterable[str]] = lambda job: (),
) -> tuple[Job, bool]:
    """Move a job as `JOB_MOVES` allows, under a row lock, with its event in the same commit.

    ``apply`` changes the locked job's other fields (booking, timestamps) and returns their
    names; it runs only when the job really moves. Returns the job and whether it moved (a
    repeated accept, start or complete is a no-op, so a retried request is harmless).
    """
    move = JOB_MOVES[to]
    with transaction.atomic():
        job = job_lock(job=job, user=user)
        if job.status == to and move.repeatable:
            return job, False
        if not job_move_allowed(JobStatus(job.status), to):
            raise Conflict(move.refusal.format(status=job.get_status_display().lower()))
        fields = list(apply(job))
        job.status = to
        job.save(update_fields=["status", *fields])
        job_event_record(job, user, event, text)
        job_status_emit(job)
    return job, True


def jobs_offer(order: Order) -> list[Job]:
    """The paid order's planned steps, offered to their workshops; the jobs offered."""
    jobs = list(
        order.jobs.filter(status__in=SYSTEM_JOB_MOVES[JobStatus.OFFERED]).select_related(
            "workshop__organization"
        )
    )
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(status=JobStatus.OFFERED)
    for job in jobs:
        job.status = JobStatus.OFFERED
    return jobs


def job_retire(job: Job, to: JobStatus) -> None:
    """The platform cancels or supersedes one step: its machine time goes back first.

    Refused (Conflict) for a move the table does not list, a done step above all: work
    finished is paid for, whatever happens to the order afterwards.
    """
    if JobStatus(job.status) not in SYSTEM_JOB_MOVES[to]:
        raise Conflict(
            f"{job.name} is {job.get_status_display().lower()}; "
            f"the platform cannot make it {Job.Status(to).label.lower()}."
        )
    job_booking_release(job)
    job.status = to
    job.save(update_fields=["status"])


def remaining_work_cancel(order: Order) -> None:
    """The steps not done are cancelled (their machine time freed), the legs not handed
    over too: an ended order has no work left that anyone could do, or be owed for."""
    for job in order.jobs.filter(status__in=SYSTEM_JOB_MOVES[JobStatus.CANCELLED]):
        job_retire(job, JobStatus.CANCELLED)
    order.shipments.filter(status=Shipment.Status.PLANNED).update(status=Shipment.Status.CANCELLED)
