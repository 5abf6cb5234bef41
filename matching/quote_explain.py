"""From the engine's quote options back to customer words: route, price, delivery and CO2.

Money: the engine's cost is what workshops and carriers are paid. The customer's price adds
a margin and a platform fee, both parameters here (billing decides them). Each step and leg
carries its runner-up's price, which the profit-sharing rule needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from matching.engine import Assignment, Option, Plan
from matching.estimation import Estimate, LegQuote
from matching.option_labels import ALTERNATIVE, best_alternative_to, earned_labels
from matching.planning import PlannedStep
from matching.quote_problem import QuoteContext

CUSTOMER = "customer"  # the destination of delivery legs in routes
BASIS_POINTS = 10_000  # 1 % = 100 basis points


@dataclass(frozen=True)
class RouteStep:
    """A step of the chosen route, with its price and the runner-up workshop's price."""

    job: str
    step: str
    name: str  # e.g. "CNC machining"
    process: str
    workshop: str
    machine: str
    start: int  # minutes
    end: int  # minutes
    cost: int  # minor units, paid to the workshop
    co2: int  # grams
    runner_up_workshop: str | None
    runner_up_machine: str | None
    runner_up_cost: int | None  # minor units; None: no other workshop can do it
    why: str
    reference_cost: int | None = None  # minor units: the median estimate for the step


@dataclass(frozen=True)
class RouteLeg:
    """A transport leg of the route; ``destination`` is ``CUSTOMER`` for the delivery."""

    job: str
    origin: str
    destination: str
    carrier: str
    depart: int  # minutes
    arrive: int  # minutes
    km: float  # road km
    cost: int  # minor units, paid to the carrier
    co2: int  # grams
    runner_up_carrier: str | None
    runner_up_cost: int | None  # minor units
    reference_cost: int | None = None  # minor units: the median quote for the leg


@dataclass(frozen=True)
class QuotedOption:
    """A customer-facing quote option.

    ``price = cost + margin + platform_fee``; ``cost`` is what workshops and carriers get
    (the sum of ``steps`` and ``legs``). ``route`` interleaves steps and legs in time order.
    ``option`` is the engine's option, to book as is.
    """

    labels: tuple[str, ...]
    price: int  # minor units
    cost: int  # minor units
    margin: int  # minor units
    platform_fee: int  # minor units
    currency: str
    delivery_minute: int
    delivery_at: datetime | None
    co2_kg: float
    steps: tuple[RouteStep, ...]
    legs: tuple[RouteLeg, ...]
    route: tuple[RouteStep | RouteLeg, ...]
    summary: str
    option: Option


# The promise to the customer adds a margin to the planned arrival: a share of the lead time,
# within bounds, so that a breakdown or a late step can be re-planned elsewhere (transport to
# another workshop, its queue) without breaking the date the customer plans around.
PROMISE_MARGIN_SHARE = 0.2
PROMISE_MARGIN_MIN = 8 * 60  # minutes
PROMISE_MARGIN_MAX = 3 * 24 * 60  # minutes


def promise_minute(arrival: int, *, now: int = 0, due: int | None = None) -> int:
    """The delivery promised for a plan arriving at minute ``arrival`` (quoted at ``now``):
    the arrival plus the margin, never after a due date the plan itself meets."""
    lead = max(0, arrival - now)
    margin = min(PROMISE_MARGIN_MAX, max(PROMISE_MARGIN_MIN, round(lead * PROMISE_MARGIN_SHARE)))
    promise = arrival + margin
    if due is not None and arrival <= due:
        promise = min(promise, due)
    return promise


def _share(cost: int, basis_points: int) -> int:
    return math.floor(cost * basis_points / BASIS_POINTS + 0.5)


def _confidential(context: QuoteContext, job: str) -> bool:
    """The job makes a confidential part (or assembles one): its candidates were narrowed."""
    lines = context.query.lines
    if job == context.assembly_job:
        return any(line.confidentiality for line in lines)
    return any(line.confidentiality for line in lines if line.id == job)


def _step_why(context: QuoteContext, label: str, rs: RouteStep, est: Estimate) -> str:
    name = context.workshop_name(rs.workshop)
    machine = context.machines[rs.machine].name or rs.machine
    text = (
        f"{rs.name[:1].upper()}{rs.name[1:]} at {name} on {machine}: {est.minutes} min, "
        f"{context.money(rs.cost)}, {rs.co2 / 1000:.2f} kg CO2 ({est.detail})."
    )
    if rs.runner_up_workshop is None:
        if _confidential(context, rs.job):
            return text + " No other workshop meeting the design's confidentiality rule can do it."
        return text + " No other workshop in the network can do it."
    other = context.workshop_name(rs.runner_up_workshop)
    text += f" Runner-up: {other} at {context.money(rs.runner_up_cost or 0)}."
    if rs.runner_up_cost is not None and rs.runner_up_cost < rs.cost:
        goal = {"fastest": "delivery time", "lowest_co2": "CO2"}.get(label, "the whole route")
        text += f" Chosen over it for {goal}: queues and transport count too."
    return text


def explain(
    options: Sequence[Option],
    context: QuoteContext,
    *,
    margin_bp: int = 0,
    platform_fee_bp: int = 0,
    platform_fee_minor: int = 0,
) -> list[QuotedOption]:
    """Customer-facing options: price with margin and fee, delivery, CO2 in kg, the route.

    ``margin_bp`` and ``platform_fee_bp`` are basis points of the cost (1 % = 100), plus a
    fixed ``platform_fee_minor`` per order; billing chooses them. Labels are earned by the
    figures shown (``matching.option_labels``), not by the goal a plan was solved for; an
    option no better than another on any figure is not offered (plans with the very same
    price, delivery and CO2 are offered once).
    """
    quoted = [
        explain_option(
            o,
            context,
            margin_bp=margin_bp,
            platform_fee_bp=platform_fee_bp,
            platform_fee_minor=platform_fee_minor,
        )
        for o in options
    ]
    figures = [(q.price, q.delivery_minute, q.option.plan.co2) for q in quoted]
    labels = earned_labels(figures, [q.labels for q in quoted])
    # An option another beats or equals on every figure is not offered; its labels go to the
    # best of those that beat it (which earns every figure-label it had, see option_labels).
    home = {i: best_alternative_to(figures, i) for i in range(len(quoted))}
    merged: dict[int, list[str]] = {i: [] for i in range(len(quoted)) if home[i] == i}
    for i, earned in enumerate(labels):
        target = merged[home[i]]
        target += [x for x in earned if x not in target]
    out = []
    for i, names in merged.items():
        if len(names) > 1 and ALTERNATIVE in names:
            names.remove(ALTERNATIVE)
        out.append(replace(quoted[i], labels=tuple(names)))
    return out


def explain_option(
    option: Option,
    context: QuoteContext,
    *,
    margin_bp: int = 0,
    platform_fee_bp: int = 0,
    platform_fee_minor: int = 0,
) -> QuotedOption:
    """One engine option in customer terms; see ``explain``."""
    plan = option.plan
    steps, legs = _route(option, context)
    cost = sum(s.cost for s in steps) + sum(leg.cost for leg in legs)
    margin = _share(cost, margin_bp)
    fee = _share(cost, platform_fee_bp) + platform_fee_minor
    price = cost + margin + fee
    promised = promise_minute(plan.makespan, now=context.now_minute, due=context.query.due)
    delivery_at = (
        context.origin + timedelta(minutes=promised) if context.origin is not None else None
    )
    return QuotedOption(
        labels=option.labels,
        price=price,
        cost=cost,
        margin=margin,
        platform_fee=fee,
        currency=context.currency,
        delivery_minute=promised,
        delivery_at=delivery_at,
        co2_kg=plan.co2 / 1000,
        steps=tuple(steps),
        legs=tuple(legs),
        route=_in_time_order(steps, legs),
        summary=_summary(context, plan, steps, price, promised),
        option=option,
    )


def _route(option: Option, context: QuoteContext) -> tuple[list[RouteStep], list[RouteLeg]]:
    """The option's steps job by job, and the legs between workshops and to the customer.

    A job's first step is reached by the legs of the jobs it waits for (the assembly waits
    for every part); each later step by a leg from the workshop of the step before.
    """
    by_step = option.plan.by_step()
    steps: list[RouteStep] = []
    legs: list[RouteLeg] = []
    jobs = _job_order(context)
    last_workshop: dict[str, tuple[str, int]] = {}
    for job in jobs:
        prev: tuple[str, int] | None = None
        for step in _planned_steps(context, job):
            a = by_step[(job, step.id)]
            workshop = context.machines[a.machine].workshop
            if prev is not None:
                legs += _transfer(context, job, prev, workshop)
            elif job == context.assembly_job:
                for other in (j for j in jobs if j != job):
                    legs += _transfer(context, other, last_workshop[other], workshop)
            steps.append(_route_step(context, option.label, job, step, a))
            prev = (workshop, a.end)
        if prev is not None:
            last_workshop[job] = prev
            if job in context.delivering_jobs and prev[0] in context.delivery:
                q = context.delivery[prev[0]]
                legs.append(_route_leg(job, prev[0], CUSTOMER, q, prev[1]))
    return steps, legs


def _transfer(
    context: QuoteContext, job: str, origin: tuple[str, int], workshop: str
) -> list[RouteLeg]:
    """The leg from ``origin`` (workshop, minute left) to ``workshop``; none within one."""
    start, depart = origin
    if start == workshop:
        return []
    return [_route_leg(job, start, workshop, context.legs[(start, workshop)], depart)]


def _route_step(
    context: QuoteContext, label: str, job: str, step: PlannedStep, a: Assignment
) -> RouteStep:
    """A step as run in the option, with the runner-up workshop and why it was chosen."""
    est = context.estimate(job, step.id, a.machine)
    spec = context.machines[a.machine]
    runner = context.runner_up(job, step.id, a.machine)
    rs = RouteStep(
        job=job,
        step=step.id,
        name=step.name,
        process=spec.process,
        workshop=spec.workshop,
        machine=a.machine,
        start=a.start,
        end=a.end,
        cost=est.cost,
        co2=est.co2,
        runner_up_workshop=runner.workshop if runner else None,
        runner_up_machine=runner.machine if runner else None,
        runner_up_cost=runner.cost if runner else None,
        why="",
        reference_cost=context.reference(job, step.id, a.machine),
    )
    return replace(rs, why=_step_why(context, label, rs, est))


def _in_time_order(
    steps: Sequence[RouteStep], legs: Sequence[RouteLeg]
) -> tuple[RouteStep | RouteLeg, ...]:
    """Steps and legs by start time; a leg departing when a step starts comes first."""
    route: list[RouteStep | RouteLeg] = sorted(
        [*steps, *legs],
        key=lambda r: (r.start, 1) if isinstance(r, RouteStep) else (r.depart, 0),
    )
    return tuple(route)


def _summary(
    context: QuoteContext, plan: Plan, steps: Sequence[RouteStep], price: int, promised: int
) -> str:
    """The option in one sentence, with the delivery promised (the date its heading shows),
    not the plan's earlier arrival: one option, one date."""
    workshops: list[str] = []
    for s in steps:
        name = context.workshop_name(s.workshop)
        if name not in workshops:
            workshops.append(name)
    return (
        f"{context.money(price)}, delivered by {context.when(promised)}, "
        f"{plan.co2 / 1000:.1f} kg CO2; made by {', '.join(workshops)}."
    )


def _route_leg(job: str, origin: str, destination: str, q: LegQuote, depart: int) -> RouteLeg:
    return RouteLeg(
        job=job,
        origin=origin,
        destination=destination,
        carrier=q.carrier,
        depart=depart,
        arrive=depart + q.minutes,
        km=q.km,
        cost=q.cost,
        co2=q.co2,
        runner_up_carrier=q.runner_up_carrier,
        runner_up_cost=q.runner_up_cost,
        reference_cost=q.reference_cost,
    )


def _job_order(context: QuoteContext) -> list[str]:
    jobs = [p.line_id for p in context.plans if p.feasible]
    if context.assembly_job:
        jobs.append(context.assembly_job)
    return jobs


def _planned_steps(context: QuoteContext, job: str) -> list[PlannedStep]:
    return [r.step for (j, _), r in context.estimates.items() if j == job]
