"""The periodic pass: expire unpaid orders, re-plan late ones, complete delivered ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.orders import matcher
from marketplace.orders.escrow import (
    payments_cancel_unwanted,
    release_overdue,
)
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.jobs import job_decline
from marketplace.orders.models import (
    Job,
    Order,
    Shipment,
)
from marketplace.orders.replanning import replan_order
from marketplace.orders.services import order_complete
from marketplace.orders.transitions import order_transition


def orders_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Expires unpaid orders, re-plans steps not accepted in time or running late, and
    completes delivered orders after the stated window.

    Run periodically (`orders_housekeeping_task`); each order moves through `order_transition`,
    so a rerun or a race with a person acting at the same moment is harmless.
    """
    now = now or timezone.now()
    expired = completed = 0
    for order in Order.objects.filter(status=OrderStatus.PLACED, pay_by__lt=now):
        with transaction.atomic():
            order_transition(
                order=order, to=OrderStatus.EXPIRED, role=Role.SYSTEM, reason="Not paid in time"
            )
            for job in order.jobs.filter(status=Job.Status.PLANNED):
                job.status = Job.Status.CANCELLED
                job.save(update_fields=["status"])
            order.shipments.filter(status=Shipment.Status.PLANNED).update(
                status=Shipment.Status.CANCELLED
            )
            transaction.on_commit(
                lambda order_id=order.pk: payments_cancel_unwanted(
                    order_id=order_id, reason="The order expired unpaid."
                ),
                robust=True,
            )
        expired += 1
    missed = 0
    for job in Job.objects.filter(status=Job.Status.OFFERED, accept_by__lt=now).select_related(
        "order"
    ):
        if job.order.status not in (OrderStatus.PAID, OrderStatus.IN_PRODUCTION):
            continue
        job_decline(user=None, job=job, reason="Not accepted before the deadline")
        missed += 1
    late = 0
    for job in Job.objects.filter(status=Job.Status.IN_PROGRESS, planned_end__lt=now):
        # A running step past its planned end pushes what follows it, an hour at a time.
        successors = job.order.jobs.filter(
            job_key=job.job_key, sequence__gt=job.sequence, status__in=Job.ACTIVE
        ).exclude(status__in=[Job.Status.IN_PROGRESS, Job.Status.DONE])
        if successors.filter(planned_start__lt=now + timedelta(hours=1)).exists():
            replan_order(
                order=job.order,
                change=matcher.StepLateChange(
                    job_key=job.job_key, step_key=job.step_key, new_end=now + timedelta(hours=1)
                ),
            )
            late += 1
    released = len(release_overdue(now=now))
    window = timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
    for order in Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lt=now - window):
        order_complete(user=None, order=order)
        completed += 1
    return {
        "expired": expired,
        "completed": completed,
        "missed": missed,
        "late": late,
        "released": released,
    }
