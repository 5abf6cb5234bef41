"""The operator's outage what-if: which orders a workshop going down would move, and what for.

The preview runs the real outage: the machines go down through ``workshop_take_down`` and
``outage_replan`` re-plans synchronously, so the answer is what the network would really do,
not an estimate. All of it happens inside one transaction that is always rolled back, and
nothing leaves it: notifications, e-mails, live events and Celery tasks are all sent on
commit, which never comes (a rolled-back savepoint drops its callbacks too), and the cache
marks of the outage and recovery passes are put back as they were.

The transaction holds the taken-down machines' rows (and, on SQLite, the database's write
lock) while the solver runs, so a preview costs about one re-plan of the affected orders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from accounts.permissions import require_operator
from marketplace.errors import Conflict
from marketplace.network.models import Machine, Workshop
from marketplace.network.services import workshop_take_down
from marketplace.orders.models import Job, Order, OrderEvent, Shipment
from marketplace.orders.outages import (
    OUTAGE_PENDING_KEY,
    OUTAGE_RUNNING_KEY,
    RECOVERY_PENDING_KEY,
    RECOVERY_RUNNING_KEY,
    outage_replan,
)
from marketplace.orders.replanning import plan_delivery

LIVE = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)
WHAT_IF_NOTE = "What-if preview (rolled back)"
ESCALATION_KIND = "order.replan_failed"  # the notification a re-plan sends to operators
# What the outage and recovery passes mark in the cache.
CACHE_KEYS = (OUTAGE_PENDING_KEY, OUTAGE_RUNNING_KEY, RECOVERY_PENDING_KEY, RECOVERY_RUNNING_KEY)


class _Rollback(Exception):
    """Raised at the end of the preview so that the transaction can never commit."""


@dataclass(frozen=True)
class StepMove:
    """One step leaving a machine that goes down; ``to_workshop`` is empty if nobody takes it."""

    name: str
    from_workshop: str
    from_machine: str
    to_workshop: str
    to_machine: str
    old_end: datetime
    new_end: datetime | None
    old_cost_minor: int
    new_cost_minor: int | None

    @property
    def has_taker(self) -> bool:
        return bool(self.to_workshop)


@dataclass(frozen=True)
class OrderImpact:
    """What the outage would do to one open order: its moved steps, delivery and cost."""

    order_id: int
    reference: str
    customer: str
    currency: str
    price_minor: int
    promised_at: datetime
    delivery_before: datetime | None
    delivery_after: datetime | None
    cost_before_minor: int
    cost_after_minor: int
    moves: tuple[StepMove, ...]
    escalations: tuple[str, ...]

    @property
    def cost_change_minor(self) -> int:
        return self.cost_after_minor - self.cost_before_minor

    @property
    def is_late(self) -> bool:
        return self.delivery_after is not None and self.delivery_after > self.promised_at

    @property
    def over_price(self) -> bool:
        return self.cost_after_minor > self.price_minor

    @property
    def needs_operator(self) -> bool:
        moves_stuck = any(not move.has_taker for move in self.moves)
        return bool(self.escalations) or moves_stuck or self.is_late or self.over_price


@dataclass(frozen=True)
class OutagePreview:
    workshop_id: int
    workshop_name: str
    machines: tuple[str, ...]
    status: str
    until: datetime | None
    at: datetime
    orders: tuple[OrderImpact, ...]

    @property
    def cost_change_by_currency(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for impact in self.orders:
            totals[impact.currency] += impact.cost_change_minor
        return dict(sorted(totals.items()))

    @property
    def needing_operator(self) -> int:
        return sum(impact.needs_operator for impact in self.orders)


@dataclass(frozen=True)
class _PlanFigures:
    jobs: dict[int, Job]
    delivery: datetime | None
    cost_minor: int


def outage_preview(
    *,
    user: User,
    workshop: Workshop,
    machine_ids: list[int] | None = None,
    status: str = Machine.Status.DOWN,
    until: datetime | None = None,
    now: datetime | None = None,
) -> OutagePreview:
    """What taking the workshop's machines (all, or ``machine_ids``) down would do, changing
    nothing. Refuses while a real outage re-plan runs (its answer would be half-done)."""
    require_operator(user=user)
    if cache.get(OUTAGE_RUNNING_KEY) is not None:
        raise Conflict("An outage re-plan is running right now; try the what-if in a minute.")
    saved = {key: cache.get(key) for key in CACHE_KEYS}
    result: list[OutagePreview] = []
    try:
        with transaction.atomic():
            result.append(
                _preview_inside(
                    user=user,
                    workshop=workshop,
                    machine_ids=machine_ids,
                    status=status,
                    until=until,
                    now=now or timezone.now(),
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        _cache_restore(saved)
    return result[0]


def _preview_inside(
    *,
    user: User,
    workshop: Workshop,
    machine_ids: list[int] | None,
    status: str,
    until: datetime | None,
    now: datetime,
) -> OutagePreview:
    """The take-down and the re-plan, then the difference read back (inside the rollback)."""
    machines = workshop_take_down(
        user=user,
        workshop=workshop,
        machine_ids=machine_ids,
        status=status,
        until=until,
        note=WHAT_IF_NOTE,
    )
    unavailable = set(
        Machine.objects.exclude(status=Machine.Status.AVAILABLE).values_list("pk", flat=True)
    )
    candidates = set(
        Job.objects.filter(status__in=LIVE, machine_id__in=unavailable).values_list(
            "order_id", flat=True
        )
    )
    before = {order_id: _plan_figures(order_id) for order_id in candidates}
    last_event = OrderEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    last_job = Job.objects.aggregate(m=Max("pk"))["m"] or 0
    last_notice = Notification.objects.aggregate(m=Max("pk"))["m"] or 0

    outcome = outage_replan(now=now)
    if outcome.get("deferred"):
        raise Conflict("An outage re-plan is running right now; try the what-if in a minute.")

    touched = set(OrderEvent.objects.filter(pk__gt=last_event).values_list("order_id", flat=True))
    touched |= set(Job.objects.filter(pk__gt=last_job).values_list("order_id", flat=True))
    orders = Order.objects.filter(pk__in=touched & before.keys()).select_related("organization")
    escalations = _escalations_since(last_notice)
    impacts = [
        _impact(order, before[order.pk], _plan_figures(order.pk), unavailable, escalations)
        for order in orders
    ]
    impacts.sort(key=lambda i: (not i.needs_operator, i.promised_at, i.reference))
    return OutagePreview(
        workshop_id=workshop.pk,
        workshop_name=str(workshop),
        machines=tuple(m.name for m in machines),
        status=status,
        until=until,
        at=now,
        orders=tuple(impacts),
    )


def _plan_figures(order_id: int) -> _PlanFigures:
    """The order's current plan: its steps, when it reaches the customer and what it costs."""
    jobs = {
        job.pk: job
        for job in Job.objects.filter(order_id=order_id, status__in=Job.ACTIVE).select_related(
            "workshop", "machine"
        )
    }
    legs = Shipment.objects.filter(order_id=order_id).exclude(
        status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED]
    )
    cost = sum(j.cost_minor for j in jobs.values()) + sum(legs.values_list("cost_minor", flat=True))
    delivery = plan_delivery(Order.objects.get(pk=order_id))
    return _PlanFigures(jobs=jobs, delivery=delivery, cost_minor=cost)


def _impact(
    order: Order,
    before: _PlanFigures,
    after: _PlanFigures,
    unavailable: set[int],
    escalations: dict[str, tuple[str, ...]],
) -> OrderImpact:
    new_by_step = {
        (j.job_key, j.step_key): j for pk, j in after.jobs.items() if pk not in before.jobs
    }
    moves = []
    for pk, old in sorted(before.jobs.items(), key=lambda item: item[1].sequence):
        if old.status == Job.Status.DONE:
            continue
        if pk in after.jobs and after.jobs[pk].machine_id not in unavailable:
            continue
        new = new_by_step.get((old.job_key, old.step_key)) if pk not in after.jobs else None
        moves.append(
            StepMove(
                name=old.name,
                from_workshop=str(old.workshop),
                from_machine=old.machine.name,
                to_workshop=str(new.workshop) if new else "",
                to_machine=new.machine.name if new else "",
                old_end=old.planned_end,
                new_end=new.planned_end if new else None,
                old_cost_minor=old.cost_minor,
                new_cost_minor=new.cost_minor if new else None,
            )
        )
    return OrderImpact(
        order_id=order.pk,
        reference=order.reference,
        customer=str(order.organization),
        currency=order.currency,
        price_minor=order.price_minor,
        promised_at=order.promised_delivery_at,
        delivery_before=before.delivery,
        delivery_after=after.delivery,
        cost_before_minor=before.cost_minor,
        cost_after_minor=after.cost_minor,
        moves=tuple(moves),
        escalations=escalations.get(reverse("order_detail", args=[order.pk]), ()),
    )


def _escalations_since(last_notice: int) -> dict[str, tuple[str, ...]]:
    """What the re-plan would have sent operators, by order page (one text per reason)."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = Notification.objects.filter(pk__gt=last_notice, kind=ESCALATION_KIND).order_by("pk")
    for url, body in rows.values_list("url", "body"):
        if body not in found[url]:
            found[url].append(body)
    return {url: tuple(bodies) for url, bodies in found.items()}


def _mark_lifetime(key: str) -> int:
    """Seconds a restored mark lives, as the passes set it: 'running' as long as a task may
    run, 'pending' for the coalescing delay and a minute."""
    if key in (OUTAGE_RUNNING_KEY, RECOVERY_RUNNING_KEY):
        return settings.CELERY_TASK_TIME_LIMIT
    return settings.OUTAGE_COALESCE_SECONDS + 60


def _cache_restore(saved: dict[str, object]) -> None:
    """Puts the outage and recovery marks back as the preview found them: a real pending
    re-plan stays announced, and the preview leaves no 'running' or 'pending' mark of its own."""
    for key, value in saved.items():
        if cache.get(key) == value:
            continue
        if value is None:
            cache.delete(key)
        else:
            cache.set(key, value, timeout=_mark_lifetime(key))
