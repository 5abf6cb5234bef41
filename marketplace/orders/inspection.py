"""Inspection results: how a finished step's work came out, recorded by whoever inspected it.

The margin share reads the outcome (``contributions.job_party`` passes it to billing's
sharing rule as ``Quality``), so who may record it is the rule that matters: never the
workshop that did the work, only a party that had the parts in hand after it — the workshop
running a later inspection step of the same order, the customer once the parts are
delivered — or an operator, who may also correct an outcome already recorded. Nothing can be
recorded once the order is completed: the shares were released then.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.models import User
from accounts.selectors import is_member_of, is_operator, organization_ids_of
from config.live import publish_to_users_on_commit
from config.text import visible_text
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.network.models import Process
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import Job, Order, OrderEvent
from marketplace.orders.notices import involved_users
from marketplace.orders.ratings import workshop_rating_refresh
from marketplace.orders.signals import job_inspecting

# Order statuses in which an outcome may still change the shares (completion releases them).
OPEN_FOR_INSPECTION = (
    OrderStatus.IN_PRODUCTION,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.DISPUTED,
)
# The customer inspects what it received.
CUSTOMER_INSPECTS = (OrderStatus.DELIVERED, OrderStatus.DISPUTED)
# An inspection step counts once its workshop has taken it on.
INSPECTING = (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS, Job.Status.DONE)


def steps_inspected_by(*, jobs: Sequence[Job], organization_ids: frozenset[int]) -> list[Job]:
    """The finished steps of ``jobs`` (one order's, with process and workshop loaded) that an
    inspection step of one of ``organization_ids`` follows, never their own work.

    Pure over loaded rows, so the order page can show these steps to the inspecting workshop
    (``selectors.order_for_party``) by the same rule the service enforces.
    """
    inspections = [
        j
        for j in jobs
        if j.process.family == Process.Family.INSPECTION
        and j.status in INSPECTING
        and j.workshop.organization_id in organization_ids
    ]
    return [
        j
        for j in jobs
        if j.status == Job.Status.DONE
        and any(i.sequence > j.sequence and i.workshop_id != j.workshop_id for i in inspections)
    ]


def job_inspector_role(*, user: User, job: Job) -> Role | None:
    """The role in which ``user`` may record ``job``'s inspection now, or None.

    The one rule both the service and the order page's button use.
    """
    if not user.is_authenticated:
        return None
    order = job.order
    if job.status != Job.Status.DONE or order.status not in OPEN_FOR_INSPECTION:
        return None
    if is_operator(user=user):
        return Role.OPERATOR
    if order.status in CUSTOMER_INSPECTS and is_member_of(
        user=user, organization_ids=[order.organization_id]
    ):
        return Role.CUSTOMER
    jobs = list(Job.objects.filter(order_id=order.pk).select_related("process", "workshop"))
    inspected = steps_inspected_by(jobs=jobs, organization_ids=organization_ids_of(user=user))
    if any(j.pk == job.pk for j in inspected):
        return Role.WORKSHOP
    return None


def job_inspection_record(*, user: User, job: Job, outcome: str, note: str = "") -> Job:
    """Records how the step's work came out of inspection: accepted, reworked or rejected.

    Locks the order before the job, as completion does, so an outcome recorded while the
    order completes either counts in the release or is refused, never lost in between.
    """
    if outcome not in Job.Inspection.values:
        raise DomainError("Choose accepted, reworked or rejected.", code="invalid_outcome")
    note = visible_text(note)
    if outcome != Job.Inspection.ACCEPTED and not note:
        raise DomainError(
            "Say what was wrong with the work, so that the workshop understands.",
            code="reason_required",
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=job.order_id)
        job = (
            Job.objects.select_for_update(of=("self",))  # inspected_by is an outer join
            .select_related("workshop__organization", "inspected_by")
            .get(pk=job.pk)
        )
        job.order = order
        if job.status != Job.Status.DONE:
            raise Conflict("Only a finished step can be inspected.", code="job_not_done")
        if order.status not in OPEN_FOR_INSPECTION:
            raise Conflict(
                f"The order is {order.get_status_display().lower()}: inspection results can no "
                "longer change it.",
                code="inspection_closed",
            )
        role = job_inspector_role(user=user, job=job)
        if role is None:
            raise PermissionDenied(
                "Only the workshop inspecting this step, the customer once the parts are "
                "delivered, or an operator may record its inspection."
            )
        if job.inspection and role != Role.OPERATOR:
            raise Conflict(
                f"This step was already recorded as {job.get_inspection_display().lower()}; "
                "ask an operator to correct it.",
                code="inspection_recorded",
            )
        job_inspecting.send(sender=Job, job=job)
        previous = job.inspection
        job.inspection = outcome
        job.inspection_note = note[:500]
        job.inspected_at = timezone.now()
        job.inspected_by = user
        job.save(update_fields=["inspection", "inspection_note", "inspected_at", "inspected_by"])
        workshop_rating_refresh(workshop_id=job.workshop_id)
        if role == Role.OPERATOR:
            record(
                actor=user,
                action="job.inspect",
                target=job,
                details={
                    "order": order.reference,
                    "outcome": outcome,
                    "previous": previous,
                    "reason": note,
                },
            )
        text = f"{job.name} at {job.workshop}: {job.get_inspection_display().lower()}"
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            kind="job.inspected",
            actor=user,
            role=role,
            reason=(f"{text} ({note})" if note else text)[:500],
        )
        publish_to_users_on_commit(
            [u.pk for u in involved_users(order)],
            {"type": "order.changed", "data": {"order": order.pk, "kind": "job.inspected"}},
        )
    return job
