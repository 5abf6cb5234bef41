"""The one way an order or a job changes status: the tables in `flow.py`, a row lock, an event."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require_membership
from marketplace.errors import Conflict, TransitionRefused
from marketplace.orders import flow as order_flow
from marketplace.orders.flow import JOB_MOVES, JobStatus, OrderStatus, Role, job_move_allowed
from marketplace.orders.models import Job, Order, OrderEvent
from marketplace.orders.notices import announce, job_event_record
from marketplace.orders.partner_events import job_status_emit, order_status_emit


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
