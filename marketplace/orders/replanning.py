"""Re-planning an order's remaining steps after a decline, a late step or a machine outage.

A re-plan has two halves: ``plan_read`` reads the order's live steps as the matcher sees
them, and ``replan_write`` makes the matcher's answer concrete (moved steps superseded and
offered anew with holds on their time, legs rebuilt, everyone told, the promise checked).
``replan_order`` runs both for one order (a decline, a late step); an outage or a recovery
solves many orders at once and writes each one the same way (``marketplace.orders.outages``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import member_users, operator_users
from accounts.services import notify
from marketplace.designs.confidential import confidentiality_rule_of
from marketplace.network.models import Machine
from marketplace.orders import matcher
from marketplace.orders.flow import JobStatus, OrderStatus, Role
from marketplace.orders.models import (
    Job,
    Order,
    OrderEvent,
    QuoteLine,
    Shipment,
)
from marketplace.orders.notices import announce
from marketplace.orders.partner_events import jobs_emit
from marketplace.orders.plans import (
    acceptance_deadline,
    job_hold_place,
    shipment_from_leg,
)
from marketplace.orders.transitions import job_retire
from matching.confidentiality import ConfidentialityRule
from matching.replanning import replan_window

logger = logging.getLogger(__name__)

# Orders whose plan may still change; delivered, completed, cancelled, expired (and shipped
# or disputed) orders are never re-planned.
REPLANNABLE = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.IN_PRODUCTION)


def _confidential_rules(order: Order) -> dict[int, ConfidentialityRule]:
    """The rules of the order's confidential designs, by quote line id (two queries more
    only when there is one)."""
    lines = QuoteLine.objects.filter(
        request_id=order.option.request_id, revision__design__confidential=True
    ).select_related("revision__design")
    rules: dict[int, ConfidentialityRule] = {}
    for line in lines.prefetch_related(
        "revision__design__required_certifications", "revision__design__allowed_workshops"
    ):
        rule = confidentiality_rule_of(line.revision.design)
        if rule is not None:
            rules[line.pk] = rule
    return rules


def _current_assignment(
    job: Job,
    *,
    declined: bool = False,
    lost: bool = False,
    rules: Mapping[int, ConfidentialityRule] | None = None,
) -> matcher.CurrentAssignment:
    """A job as the matcher's re-planning sees it (a declined one counts as still planned; a
    running one lost on a broken machine is planned again for what is left of it). ``rules``:
    the order's confidential designs by line, so no other machine breaks them."""
    rules = rules or {}
    if job.line_id is None:
        confidentiality = tuple(rules.values())
    else:
        confidentiality = (rules[job.line_id],) if job.line_id in rules else ()
    status = {Job.Status.DONE: "done", Job.Status.IN_PROGRESS: "running"}.get(job.status, "planned")
    minutes = int((job.planned_end - job.planned_start).total_seconds() // 60)
    if lost:
        minutes = max(1, minutes * (100 - job.progress_percent) // 100)
    return matcher.CurrentAssignment(
        job_key=job.job_key,
        step_key=job.step_key,
        machine_id=job.machine_id,
        start=job.planned_start,
        end=job.planned_end,
        status="planned" if declined or lost else status,
        process_code=job.process.code,
        duration_minutes=minutes,
        cost_minor=0 if declined else job.cost_minor,
        material_code=None if declined or not job.line else job.line.material.code,
        part_dims_mm=None if declined else _part_dims(job),
        name=job.name,
        confidentiality=confidentiality,
    )


@dataclass
class PlanRead:
    """An order's plan as a re-plan reads it: its live jobs, the running ones lost on a
    broken machine, a declined one, and the matcher's view of them. ``plan_version`` tells
    the write half whether someone re-planned the order in between."""

    order: Order
    active: list[Job]
    lost: set[int]
    declined: Job | None
    current: list[matcher.CurrentAssignment]
    plan_version: int
    load: matcher.Consignment  # what each leg carries, as the order's quote priced it

    def to_replan(self) -> matcher.OrderToReplan:
        request = self.order.request
        return matcher.OrderToReplan(
            order_id=self.order.pk,
            assignments=tuple(self.current),
            due=self.order.promised_delivery_at,
            ship_to=(float(request.ship_to_latitude), float(request.ship_to_longitude)),
            assembly_job=self.order.option.route.get("assembly_job"),
        )


def plan_read(
    order: Order, *, change, declined: Job | None = None, down: Iterable[int] = ()
) -> PlanRead | None:
    """The order's steps not yet done, for a re-plan; None for an order that is closed."""
    order = Order.objects.select_related("option__request").get(pk=order.pk)
    if order.status not in REPLANNABLE:
        return None
    down = set(down)
    if isinstance(change, matcher.MachineDownChange):
        down.add(change.machine_id)
    active = list(
        order.jobs.filter(status__in=Job.ACTIVE).select_related(
            "machine", "process", "line__material", "line__revision", "workshop"
        )
    )
    lost = {j.pk for j in active if j.status == Job.Status.IN_PROGRESS and j.machine_id in down}
    rules = _confidential_rules(order)
    current = [_current_assignment(job, lost=job.pk in lost, rules=rules) for job in active]
    if declined is not None:
        current.append(_current_assignment(declined, declined=True, rules=rules))
    load = matcher.quote_load(order.option.request)
    return PlanRead(order, active, lost, declined, current, order.plan_version, load)


def replan_order(
    *,
    order: Order,
    change,
    declined: Job | None = None,
    down: Iterable[int] = (),
) -> list[Job]:
    """Re-solves the steps not yet started; moved steps become new offers elsewhere.

    Done steps stay where they are; a step running on a machine in ``down`` (or the changed
    one) is lost: it is superseded explicitly and what is left of it offered elsewhere.
    Closed orders are left alone. The customer's due date counts with the delivery leg.
    """
    read = plan_read(order, change=change, declined=declined, down=down)
    if read is None:
        return []
    now = timezone.now()
    # From a minute before now at least, so that a done step is placed as ended by now.
    origin, days = replan_window(read.current, now - timedelta(minutes=1))
    target = read.to_replan()
    result = matcher.replan_assignments(
        snapshot=matcher.network_snapshot(origin=origin, horizon_days=days, now=now),
        order_id=target.order_id,
        assignments=read.current,
        change=change,
        now=now,
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        assembly_job=target.assembly_job,
        due=dict.fromkeys({a.job_key for a in read.current}, target.due),
        ship_to=target.ship_to,
        load=read.load,
    )
    return replan_write(read, result) or []


def replan_write(
    read: PlanRead, result: matcher.ReplanResult, *, note: str = "", urgent: bool = False
) -> list[Job] | None:
    """The write half of a re-plan: moved steps superseded and offered anew with holds, legs
    rebuilt, the re-plan recorded and told, the promise checked (escalated when missed).
    ``urgent``: the plan was solved after a breakdown, with the carriers' direct couriers,
    so its legs are rebuilt with them too.

    A plan the matcher could not make goes to the operators. Returns the new jobs, or None
    when the order was re-planned by someone else since ``read`` (nothing written).
    """
    if not result.ok:
        reason = " ".join(result.reasons) or "No other workshop can take over the step."
        escalate_to_operators(read.order, reason)
        return []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=read.order.pk)
        if order.plan_version != read.plan_version:
            return None
        order.plan_version += 1
        order.save(update_fields=["plan_version"])
        by_key = {(j.job_key, j.step_key): j for j in read.active}
        active_pks = {j.pk for j in read.active}
        created = []
        losing: dict[int, list[str]] = {}
        for new in result.moved:
            old = by_key.get((new.job_key, new.step_key)) or read.declined
            if old is None or old.status == Job.Status.DONE:
                continue
            if old.status == Job.Status.IN_PROGRESS and old.pk not in read.lost:
                continue
            created.append(_offer_replacement(order, old, new, supersede=old.pk in active_pks))
            if old.workshop_id != created[-1].workshop_id or old.pk in read.lost:
                reason = new.reason or old.name
                if old.pk in read.lost:
                    reason = f"{reason} {unpaid_partial_work(old)}"
                losing.setdefault(old.workshop.organization_id, []).append(reason)
        carriers = _rebuild_legs(order, read.load, urgent=urgent)
        summary = f"{note} {result.summary}".strip()
        _record_replan(order, created, summary, losing=losing, carriers=carriers)
        _check_promise(order)
    return created


def unpaid_partial_work(job: Job) -> str:
    """The rule for a running step lost with its machine, in words for the workshop."""
    return (
        f"The {job.progress_percent}% already done of {job.name} is recorded on the superseded "
        "job and not paid: the machine failed at the workshop, so the partial work is the "
        "workshop's risk."
    )


def _offer_replacement(order: Order, old: Job, new, *, supersede: bool) -> Job:
    """The step moved by the re-plan, offered on its new machine with a hold on its time.

    The old job is retired first: a pending one is superseded, a running one lost on a
    broken machine too, with its partial progress written into the order's timeline, so
    that one step never has two live jobs.
    """
    if supersede and old.status != Job.Status.DONE:
        if old.status == Job.Status.IN_PROGRESS:
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                kind="job.superseded",
                role=Role.SYSTEM,
                reason=(
                    f"{old.name} stopped at {old.progress_percent}% on {old.machine} "
                    f"({old.workshop}) when the machine went down; the rest is re-planned. "
                    f"{unpaid_partial_work(old)}"
                )[:500],
            )
        job_retire(old, JobStatus.SUPERSEDED)
        jobs_emit("job.replanned", [old])
    machine = Machine.objects.select_related("workshop").get(pk=new.machine_id)
    job = Job.objects.create(
        order=order,
        job_key=old.job_key,
        step_key=old.step_key,
        name=old.name,
        process=old.process,
        line=old.line,
        workshop=machine.workshop,
        machine=machine,
        sequence=old.sequence,
        planned_start=new.start,
        planned_end=new.end,
        accept_by=acceptance_deadline(new.start, replanned=True),
        status=Job.Status.OFFERED if order.status != OrderStatus.PLACED else Job.Status.PLANNED,
        cost_minor=new.cost_minor,
        runner_up_cost_minor=old.runner_up_cost_minor,
        estimate_cost_minor=old.estimate_cost_minor,
        why=f"Re-planned: {new.reason}" if getattr(new, "reason", "") else "Re-planned",
        plan_version=order.plan_version,
    )
    job_hold_place(job)
    if job.status == Job.Status.OFFERED:
        jobs_emit("job.offered", [job])
    return job


def _record_replan(
    order: Order,
    created: list[Job],
    summary: str,
    *,
    losing: dict[int, list[str]],
    carriers: set[int],
) -> None:
    """The audit event and, in words, everyone the re-plan touches: the order's parties, each
    workshop losing or receiving a step and each carrier whose legs changed."""
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        kind="order.replanned",
        role=Role.SYSTEM,
        reason=f"Re-planned {len(created)} step(s): {summary}"[:500],
    )
    announce(order, "order.replanned", f"Order {order.reference} was re-planned", summary)
    for organization_id, reasons in losing.items():
        notify(
            users=member_users(organization_id),
            kind="job.moved",
            title=f"Order {order.reference}: {len(reasons)} step(s) moved away from you",
            body=" ".join(reasons),
            url=reverse("job_board"),
        )
    for workshop in {job.workshop for job in created}:
        notify(
            users=member_users(workshop.organization_id),
            kind="job.offered",
            title=f"New job for {workshop}: order {order.reference}",
            body=" ".join(j.why for j in created if j.workshop_id == workshop.pk),
            url=reverse("job_board"),
        )
    if carriers:
        notify(
            users=member_users(*carriers),
            kind="shipment.changed",
            title=f"Order {order.reference}: your legs changed",
            body="The order was re-planned; see the new pick-up and drop-off times.",
            url=reverse("order_detail", args=[order.pk]),
        )


def escalate_to_operators(
    order: Order,
    reason: str,
    *,
    later: datetime | None = None,
    above_minor: int = 0,
) -> None:
    """What needs a person goes to the operators as well as to the order's parties, with the
    options and their figures: the later delivery date the new plan makes, the cost above
    the order's price, or the split into parts delivered as they are done."""
    options = []
    if later is not None:
        options.append(
            f"agree a later delivery date with the customer: {later:%a %d %b %H:%M} "
            f"(the new plan's) instead of {order.promised_delivery_at:%a %d %b %H:%M}"
        )
    else:
        options.append("agree a later delivery date with the customer")
    options.append("split the order and deliver the parts as they are done")
    if above_minor > 0:
        options.append(
            f"pay {above_minor / 100:.2f} {order.currency} above the price of "
            f"{order.price_minor / 100:.2f} {order.currency} for the new plan, or a higher "
            "price for express, overtime or another workshop"
        )
    else:
        options.append("find capacity at a higher price (express, overtime or another workshop)")
    body = (
        f"{reason} Options: "
        + "; ".join(f"({n}) {text}" for n, text in enumerate(options, start=1))
        + ". The operator decides."
    )
    title = f"Order {order.reference} needs an operator"
    announce(order, "order.replan_failed", title, body)
    notify(
        users=operator_users(),
        kind="order.replan_failed",
        title=title,
        body=body,
        url=reverse("order_detail", args=[order.pk]),
    )


def plan_delivery(order: Order) -> datetime | None:
    """When the current plan delivers: its leg to the customer, else its last step's end."""
    legs = order.shipments.filter(status=Shipment.Status.PLANNED)
    arrival = legs.filter(destination__isnull=True).aggregate(m=Max("planned_arrival"))["m"]
    if arrival is None:
        arrival = order.jobs.filter(status__in=Job.ACTIVE).aggregate(m=Max("planned_end"))["m"]
    return arrival


def _check_promise(order: Order) -> None:
    """The customer's due date includes the delivery leg; a plan that misses it, or costs
    more than the customer pays, is sent to operators with the options."""
    arrival = plan_delivery(order)
    reasons = []
    late = arrival is not None and arrival > order.promised_delivery_at
    if late:
        reasons.append(
            f"The new plan delivers on {arrival:%a %d %b %H:%M}, after the promised "
            f"{order.promised_delivery_at:%a %d %b %H:%M}."
        )
    cost = sum(order.jobs.filter(status__in=Job.ACTIVE).values_list("cost_minor", flat=True))
    cost += sum(
        order.shipments.exclude(
            status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED]
        ).values_list("cost_minor", flat=True)
    )
    if cost > order.price_minor:
        reasons.append(
            f"It costs {cost / 100:.2f} {order.currency}, more than the order's price of "
            f"{order.price_minor / 100:.2f} {order.currency}."
        )
    if reasons:
        escalate_to_operators(
            order,
            " ".join(reasons),
            later=arrival if late else None,
            above_minor=max(0, cost - order.price_minor),
        )


def _part_dims(job: Job) -> tuple[float, float, float] | None:
    bbox = job.line.revision.bbox_mm if job.line else None
    return tuple(sorted(bbox, reverse=True)) if bbox else None


def _rebuild_legs(order: Order, load: matcher.Consignment, *, urgent: bool = False) -> set[int]:
    """Planned legs follow the current jobs: between workshops of one part, then to the
    customer (by direct courier where the carrier runs one, when ``urgent``), each priced for
    ``load`` as the quote priced its legs. Returns the
    organizations of the carriers whose legs were dropped or added."""
    planned = order.shipments.filter(status=Shipment.Status.PLANNED)
    before = {
        (s.job_key, s.origin_id, s.destination_id): s.carrier.organization_id
        for s in planned.select_related("carrier")
    }
    planned.update(status=Shipment.Status.SUPERSEDED)
    legs = matcher.legs_for_jobs(
        jobs=[
            (j.job_key, j.workshop_id, j.planned_end)
            for j in order.jobs.filter(status__in=Job.ACTIVE).order_by("sequence")
        ],
        assembly_job=order.option.route.get("assembly_job"),
        ship_to=(float(order.request.ship_to_latitude), float(order.request.ship_to_longitude)),
        load=load,
        urgent=urgent,
    )
    after: dict[tuple, int] = {}
    for leg in legs:
        key = (leg["job"], leg["origin_workshop_id"], leg.get("destination_workshop_id"))
        exists = (
            order.shipments.filter(job_key=key[0], origin_id=key[1], destination_id=key[2])
            .exclude(status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED])
            .exists()
        )
        if exists:
            continue
        shipment = shipment_from_leg(order, leg, version=order.plan_version)
        after[key] = shipment.carrier.organization_id
    return {org for key, org in before.items() if key not in after} | {
        org for key, org in after.items() if key not in before
    }
