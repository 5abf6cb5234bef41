"""Jobs: a workshop accepts, declines, starts, reports progress on and completes its steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_operator, member_users
from accounts.services import notify
from config.live import publish_to_users_on_commit
from marketplace.errors import Conflict, DomainError
from marketplace.network.services import capacity_book
from marketplace.orders import matcher
from marketplace.orders.flow import TERMINAL, JobStatus, OrderStatus, Role
from marketplace.orders.models import (
    Job,
    Shipment,
)
from marketplace.orders.notices import involved_users, job_event_record
from marketplace.orders.plans import job_booking_release
from marketplace.orders.replanning import replan_order
from marketplace.orders.signals import job_finishing
from marketplace.orders.transitions import job_lock, job_transition, order_transition


def job_accept(*, user: User, job: Job) -> Job:
    """The workshop takes the job; its machine time is booked now, never twice."""

    def book(job: Job) -> list[str]:
        job.booking = capacity_book(
            machine=job.machine,
            starts_at=job.planned_start,
            ends_at=job.planned_end,
            reference=f"{job.order.reference} · {job.name}",
        )
        return ["booking"]

    job, _ = job_transition(
        job=job,
        to=JobStatus.ACCEPTED,
        user=user,
        event="job.accepted",
        text=f"{job.workshop} accepted {job.name}",
        apply=book,
    )
    return job


def job_decline(*, user: User | None, job: Job, reason: str) -> Job:
    """The workshop turns the job down (or let its deadline pass: `user` None, the system);
    the rest of the order is re-planned without it."""
    if not reason.strip():
        raise DomainError(
            "Say why you decline, so that the customer understands.", code="reason_required"
        )
    reason = reason.strip()

    def release(job: Job) -> list[str]:
        job_booking_release(job)
        job.declined_reason = reason
        return ["declined_reason", "booking"]

    job, _ = job_transition(
        job=job,
        to=JobStatus.DECLINED,
        user=user,
        event="job.declined",
        text=f"{job.workshop} declined {job.name}: {reason}",
        apply=release,
    )
    replan_order(
        order=job.order,
        change=matcher.StepDeclinedChange(
            job_key=job.job_key, step_key=job.step_key, workshop_id=job.workshop_id
        ),
        declined=job,
    )
    return job


def job_start(*, user: User, job: Job) -> Job:
    """Work begins; the first started step puts a paid order into production."""

    def start(job: Job) -> list[str]:
        job.started_at = timezone.now()
        if job.order.status == OrderStatus.PAID:
            order_transition(
                order=job.order,
                to=OrderStatus.IN_PRODUCTION,
                role=Role.SYSTEM,
                reason=f"{job.workshop} started {job.name}",
            )
        return ["started_at"]

    job, _ = job_transition(
        job=job,
        to=JobStatus.IN_PROGRESS,
        user=user,
        event="job.started",
        text=f"{job.workshop} started {job.name}",
        apply=start,
    )
    return job


def job_progress(*, user: User, job: Job, percent: int, note: str = "") -> Job:
    if not 0 <= percent <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", code="invalid_progress")
    with transaction.atomic():
        job = job_lock(job=job, user=user)
        if job.status != Job.Status.IN_PROGRESS:
            raise Conflict("Only a started job reports progress.")
        job.progress_percent = percent
        job.progress_note = note.strip()[:255]
        job.save(update_fields=["progress_percent", "progress_note"])
        publish_to_users_on_commit(
            [u.pk for u in involved_users(job.order)],
            {
                "type": "job.progress",
                "data": {"order": job.order_id, "job": job.pk, "percent": percent},
            },
        )
    return job


def job_complete(*, user: User, job: Job) -> Job:
    """The step is finished; its parts can be handed to the next leg."""

    def finish(job: Job) -> list[str]:
        job_finishing.send(sender=Job, job=job)
        job.finished_at = timezone.now()
        job.progress_percent = 100
        return ["finished_at", "progress_percent"]

    job, _ = job_transition(
        job=job,
        to=JobStatus.DONE,
        user=user,
        event="job.done",
        text=f"{job.workshop} finished {job.name}",
        apply=finish,
    )
    return job


MAX_REPORTED_DELAY = timedelta(days=60)  # past the planned end; beyond it, decline the job


def job_report_delay(*, user: User, job: Job, expected_end: datetime, reason: str) -> Job:
    """The workshop says when an accepted or running step will really end, before its
    planned end passes (from the board, the API or its MES); an operator may say it for them.

    The estimate is recorded on the job and in the order's timeline; the customer and the
    workshops of the order are told. When it pushes a later step or a leg (so the delivery)
    past its plan, the order is re-planned from the estimate at once, instead of an hour at a
    time by housekeeping after the planned end.
    """
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "Say why the step takes longer, so that the customer understands.",
            code="reason_required",
        )
    if timezone.is_naive(expected_end):
        raise DomainError("Give the expected end with its time zone.", code="invalid_expected_end")
    now = timezone.now()
    with transaction.atomic():
        acting_operator = is_operator(user=user)
        job = job_lock(job=job, user=None if acting_operator else user)
        if job.status not in (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS):
            raise Conflict(
                f"Only an accepted or started step reports an expected end; this one is "
                f"{job.get_status_display().lower()}."
            )
        if job.order.status in TERMINAL:
            raise Conflict(f"Order {job.order.reference} is {job.order.get_status_display()}.")
        start = job.started_at or job.planned_start
        if expected_end <= now:
            raise DomainError(
                "The expected end must lie in the future; if the step is finished, complete it.",
                code="invalid_expected_end",
            )
        if expected_end <= start:
            raise DomainError(
                f"The expected end must come after the step's start ({start:%Y-%m-%d %H:%M} UTC).",
                code="invalid_expected_end",
            )
        if expected_end > job.planned_end + MAX_REPORTED_DELAY:
            raise DomainError(
                f"That is more than {MAX_REPORTED_DELAY.days} days after the planned end "
                f"({job.planned_end:%Y-%m-%d}): decline the job so that it is re-planned, or "
                "ask an operator.",
                code="invalid_expected_end",
            )
        job.expected_end = expected_end
        job.delay_reason = reason[:500]
        job.save(update_fields=["expected_end", "delay_reason"])
        text = (
            f"{job.workshop} expects {job.name} to end {expected_end:%Y-%m-%d %H:%M} UTC "
            f"({_versus_plan(expected_end - job.planned_end)}): {reason}"
        )
        job_event_record(job, user, "job.delay_reported", text)
        pushed = _plan_pushed_by(job, expected_end)
        _tell_delay(job, text, replanned=pushed)
    if pushed:
        replan_order(
            order=job.order,
            change=matcher.StepLateChange(
                job_key=job.job_key, step_key=job.step_key, new_end=expected_end
            ),
        )
    return job


def _versus_plan(late: timedelta) -> str:
    hours = round(late.total_seconds() / 3600, 1)
    if hours > 0:
        return f"{hours:g} h after the plan"
    if hours < 0:
        return f"{-hours:g} h before the plan"
    return "as planned"


def _plan_pushed_by(job: Job, expected_end: datetime) -> bool:
    """Whether a step after this one (same part) or a leg carrying its parts was planned to
    start before the expected end."""
    successors = job.order.jobs.filter(
        job_key=job.job_key,
        sequence__gt=job.sequence,
        status__in=[Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED],
        planned_start__lt=expected_end,
    )
    legs = job.order.shipments.filter(
        job_key=job.job_key,
        origin_id=job.workshop_id,
        status=Shipment.Status.PLANNED,
        planned_departure__lt=expected_end,
    )
    return successors.exists() or legs.exists()


def _tell_delay(job: Job, text: str, *, replanned: bool) -> None:
    """The customer and every workshop of the order, in words (after commit for e-mail)."""
    organizations = {job.order.organization_id}
    organizations |= set(
        job.order.jobs.filter(status__in=Job.ACTIVE).values_list(
            "workshop__organization_id", flat=True
        )
    )
    notify(
        users=member_users(*organizations),
        kind="job.delayed",
        title=f"Order {job.order.reference}: {job.name} will end later than planned"
        if job.expected_end > job.planned_end
        else f"Order {job.order.reference}: new expected end for {job.name}",
        body=text
        + (" The steps after it are being re-planned." if replanned else " The plan still holds."),
        url=reverse("order_detail", args=[job.order_id]),
    )
