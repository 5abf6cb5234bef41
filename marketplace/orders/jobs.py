"""Jobs: a workshop accepts, declines, starts, reports progress on and completes its steps."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require_membership
from config.live import publish_to_users_on_commit
from marketplace.errors import Conflict, DomainError
from marketplace.network.services import capacity_book
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import (
    Job,
)
from marketplace.orders.notices import involved_users, job_event_record
from marketplace.orders.plans import job_booking_release
from marketplace.orders.replanning import replan_order
from marketplace.orders.transitions import order_transition
from matching import adapter


# -- jobs -----------------------------------------------------------------------------------
def _job_for_update(job: Job, user: User) -> Job:
    job = (
        Job.objects.select_for_update()
        .select_related("order", "workshop__organization")
        .get(pk=job.pk)
    )
    require_membership(user=user, organization=job.workshop.organization)
    return job


def job_accept(*, user: User, job: Job) -> Job:
    """The workshop takes the job; its machine time is booked now, never twice."""
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.ACCEPTED:
            return job
        if job.status != Job.Status.OFFERED:
            raise Conflict(
                f"This job is {job.get_status_display().lower()}; it cannot be accepted."
            )
        booking = capacity_book(
            machine=job.machine,
            starts_at=job.planned_start,
            ends_at=job.planned_end,
            reference=f"{job.order.reference} · {job.name}",
        )
        job.status = Job.Status.ACCEPTED
        job.booking = booking
        job.save(update_fields=["status", "booking"])
        job_event_record(job, user, "job.accepted", f"{job.workshop} accepted {job.name}")
    return job


def job_decline(*, user: User | None, job: Job, reason: str) -> Job:
    """The workshop turns the job down (or let its deadline pass: `user` None, the system);
    the rest of the order is re-planned without it."""
    if not reason.strip():
        raise DomainError(
            "Say why you decline, so that the customer understands.", code="reason_required"
        )
    with transaction.atomic():
        if user is None:
            job = Job.objects.select_for_update().select_related("order", "workshop").get(pk=job.pk)
        else:
            job = _job_for_update(job, user)
        if job.status not in (Job.Status.OFFERED, Job.Status.ACCEPTED):
            raise Conflict(
                f"This job is {job.get_status_display().lower()}; it cannot be declined."
            )
        job_booking_release(job)
        job.status = Job.Status.DECLINED
        job.declined_reason = reason.strip()
        job.save(update_fields=["status", "declined_reason", "booking"])
        job_event_record(job, user, "job.declined", f"{job.workshop} declined {job.name}: {reason}")
    replan_order(
        order=job.order,
        change=adapter.StepDeclinedChange(
            job_key=job.job_key, step_key=job.step_key, workshop_id=job.workshop_id
        ),
        declined=job,
    )
    return job


def job_start(*, user: User, job: Job) -> Job:
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.IN_PROGRESS:
            return job
        if job.status != Job.Status.ACCEPTED:
            raise Conflict("Accept the job before starting it.")
        job.status = Job.Status.IN_PROGRESS
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        if job.order.status == OrderStatus.PAID:
            order_transition(
                order=job.order,
                to=OrderStatus.IN_PRODUCTION,
                role=Role.SYSTEM,
                reason=f"{job.workshop} started {job.name}",
            )
        job_event_record(job, user, "job.started", f"{job.workshop} started {job.name}")
    return job


def job_progress(*, user: User, job: Job, percent: int, note: str = "") -> Job:
    if not 0 <= percent <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", code="invalid_progress")
    with transaction.atomic():
        job = _job_for_update(job, user)
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
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.DONE:
            return job
        if job.status != Job.Status.IN_PROGRESS:
            raise Conflict("Start the job before completing it.")
        job.status = Job.Status.DONE
        job.finished_at = timezone.now()
        job.progress_percent = 100
        job.save(update_fields=["status", "finished_at", "progress_percent"])
        job_event_record(job, user, "job.done", f"{job.workshop} finished {job.name}")
    return job
