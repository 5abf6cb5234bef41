"""Jobs: a workshop accepts, declines, starts, reports progress on and completes its steps."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.live import publish_to_users_on_commit
from marketplace.errors import Conflict, DomainError
from marketplace.network.services import capacity_book
from marketplace.orders import matcher
from marketplace.orders.flow import JobStatus, OrderStatus, Role
from marketplace.orders.models import (
    Job,
)
from marketplace.orders.notices import involved_users
from marketplace.orders.plans import job_booking_release
from marketplace.orders.replanning import replan_order
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
