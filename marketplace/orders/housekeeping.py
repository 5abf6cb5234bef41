"""The periodic pass: expire unpaid orders, re-plan late ones, complete delivered ones."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.selectors import operator_users
from accounts.services import notify
from marketplace.errors import NotYet
from marketplace.network.services import machines_recover
from marketplace.orders import matcher
from marketplace.orders.escrow import (
    escrow_settle_ended,
    orders_holding_money,
    payments_cancel_unwanted,
    release_overdue,
)
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.jobs import job_decline
from marketplace.orders.models import (
    Job,
    Order,
)
from marketplace.orders.replanning import replan_order
from marketplace.orders.services import order_complete
from marketplace.orders.transitions import order_transition, remaining_work_cancel

logger = logging.getLogger(__name__)


def orders_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Expires unpaid orders, re-plans steps not accepted in time or running late, and
    completes delivered orders after the stated window, and settles ended orders that still
    hold money (``escrow_settle_ended``).

    Run periodically (`orders_housekeeping_task`); each order moves through `order_transition`,
    so a rerun or a race with a person acting at the same moment is harmless. Each order is
    handled on its own: one that fails is logged and reported to operators (``failed``), and
    the pass goes on with the others.
    """
    now = now or timezone.now()
    failures: list[str] = []
    counts = {
        "recovered": len(machines_recover(now=now)),
        "expired": _each(
            Order.objects.filter(status=OrderStatus.PLACED, pay_by__lt=now), _expire, failures
        ),
        "missed": _each(
            Job.objects.filter(status=Job.Status.OFFERED, accept_by__lt=now).select_related(
                "order"
            ),
            _decline_missed,
            failures,
        ),
        "late": _each(
            Job.objects.filter(status=Job.Status.IN_PROGRESS, planned_end__lt=now),
            lambda job: _push_successors(job, now),
            failures,
        ),
        "released": len(release_overdue(now=now)),
    }
    window = timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
    counts["completed"] = _each(
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lt=now - window),
        _complete_delivered,
        failures,
    )
    counts["settled"] = _each(
        orders_holding_money(), lambda order: escrow_settle_ended(order=order), failures
    )
    counts["failed"] = len(failures)
    if failures:
        _report_to_operators(failures)
    return counts


def _each(items: Iterable, handle: Callable[[Any], bool], failures: list[str]) -> int:
    """Handle every item on its own (each service owns its transaction, so nothing is held
    across a re-plan's solve); how many were handled (``handle`` said so)."""
    done = 0
    for item in items:
        try:
            done += bool(handle(item))
        except Exception as error:
            logger.exception("Housekeeping failed on %r", item)
            failures.append(f"{item}: {error}")
    return done


@transaction.atomic
def _expire(order: Order) -> bool:
    order_transition(
        order=order, to=OrderStatus.EXPIRED, role=Role.SYSTEM, reason="Not paid in time"
    )
    remaining_work_cancel(order)  # an unpaid order's planned steps, their holds, its legs
    transaction.on_commit(
        lambda order_id=order.pk: payments_cancel_unwanted(
            order_id=order_id, reason="The order expired unpaid."
        ),
        robust=True,
    )
    return True


def _complete_delivered(order: Order) -> bool:
    """Completes a delivered order past the window, unless it waits for something (a required
    quality document not uploaded yet): an expected state, tried again on the next pass."""
    try:
        order_complete(user=None, order=order)
    except NotYet as waiting:
        logger.debug("Order %s not completed yet: %s", order.reference, waiting.message)
        return False
    return True


def _decline_missed(job: Job) -> bool:
    """A job not accepted in time is declined for its workshop; an earlier re-plan of the same
    order may already have replaced it (two offers expiring together), which is fine."""
    job.refresh_from_db(fields=["status"])
    if job.status != Job.Status.OFFERED:
        return False
    if job.order.status not in (OrderStatus.PAID, OrderStatus.IN_PRODUCTION):
        return False
    job_decline(user=None, job=job, reason="Not accepted before the deadline")
    return True


def _push_successors(job: Job, now: datetime) -> bool:
    """A running step past its planned end pushes what follows it, an hour at a time."""
    successors = job.order.jobs.filter(
        job_key=job.job_key, sequence__gt=job.sequence, status__in=Job.ACTIVE
    ).exclude(status__in=[Job.Status.IN_PROGRESS, Job.Status.DONE])
    if not successors.filter(planned_start__lt=now + timedelta(hours=1)).exists():
        return False
    replan_order(
        order=job.order,
        change=matcher.StepLateChange(
            job_key=job.job_key, step_key=job.step_key, new_end=now + timedelta(hours=1)
        ),
    )
    return True


def _report_to_operators(failures: list[str]) -> None:
    notify(
        users=operator_users(),
        kind="housekeeping.failed",
        title=f"Housekeeping could not handle {len(failures)} item(s)",
        body="\n".join(failures)[:2000],
    )
