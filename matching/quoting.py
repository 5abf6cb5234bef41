"""From a customer's quote request to the engine's Problem, and from its options back to words.

Pure (no Django): the Django adapter reads machines, their windows and carriers from the
database into ``MachineSpec`` / ``CarrierSpec``, calls ``build_problem`` (or ``quote``), and
shows ``QuotedOption``s. Each line becomes one engine job (its planned steps, each with a
shortlist of capable machines); a multi-part order adds an assembly job that waits for every
part; transport legs join the candidate workshops and deliver to the customer.

Money: the engine's cost is what workshops and carriers are paid. The customer's price adds
a margin and a platform fee, both parameters here (billing decides them). Each step and leg
carries its runner-up's price, which the profit-sharing rule needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from matching.engine import (
    Alternative,
    Leg,
    Objective,
    Option,
    Plan,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
    Transport,
    quote_options,
    solve,
)
from matching.estimation import (
    CarrierSpec,
    Estimate,
    LegQuote,
    MachineSpec,
    StepEstimates,
    estimate_step,
    no_machine_reason,
    transport_leg,
)
from matching.planning import (
    LinePlan,
    LineRequest,
    MaterialSpec,
    PartGeometry,
    PlannedStep,
    assembly_steps,
    plan_line,
)

SHORTLIST = 6  # machines handed to the engine per step (cheapest, fastest, greenest first)
CUSTOMER = "customer"  # the destination of delivery legs in routes
BASIS_POINTS = 10_000  # 1 % = 100 basis points


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartToQuote:
    """One part of a quote request: design geometry, material, finish, quantity, tolerance."""

    id: str
    geometry: PartGeometry
    material: MaterialSpec
    finish: str | None = None
    quantity: int = 1
    tolerance: str = "standard"  # "standard" | "precision" | "high-precision"
    five_axis: bool = False
    name: str = ""  # the design's name, for messages


@dataclass(frozen=True)
class QuoteQuery:
    """A quote request: lines, where to deliver, and by when.

    ``due`` is a hard date in minutes from minute 0 (the adapter's ``origin``): options that
    miss it are not offered, and an impossible one is answered with the earliest possible
    date. ``assemble`` None means assemble when there is more than one line.
    """

    lines: tuple[PartToQuote, ...]
    customer_lat: float
    customer_lon: float
    due: int | None = None  # minutes
    assemble: bool | None = None
    currency: str = "EUR"
    id: str = ""

    @property
    def assembled(self) -> bool:
        return self.assemble if self.assemble is not None else len(self.lines) > 1


# -- context -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteContext:
    """Everything ``build_problem`` worked out, to explain the engine's answers.

    ``estimates`` hold every capable machine per ``(job, step)``, not only the shortlist;
    ``legs`` are workshop-to-workshop, ``delivery`` workshop-to-customer. ``issues`` are
    reasons, in plain words, why the request cannot be quoted (empty: go ahead and solve).
    """

    request: QuoteQuery
    now_minute: int
    origin: datetime | None
    plans: tuple[LinePlan, ...]
    assembly_job: str | None
    delivering_jobs: tuple[str, ...]
    estimates: Mapping[tuple[str, str], StepEstimates]
    machines: Mapping[str, MachineSpec]
    legs: Mapping[tuple[str, str], LegQuote]
    delivery: Mapping[str, LegQuote]
    issues: tuple[str, ...] = ()
    job_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.issues

    @property
    def currency(self) -> str:
        return self.request.currency

    def estimate(self, job: str, step: str, machine: str) -> Estimate:
        """The estimate of one step on one machine."""
        return next(e for e in self.estimates[(job, step)].estimates if e.machine == machine)

    def runner_up(self, job: str, step: str, workshop: str) -> Estimate | None:
        """The cheapest estimate for the step at another workshop (another party)."""
        return next(
            (e for e in self.estimates[(job, step)].estimates if e.workshop != workshop), None
        )

    def workshop_name(self, workshop: str) -> str:
        spec = next((m for m in self.machines.values() if m.workshop == workshop), None)
        return spec.label if spec else workshop

    def when(self, minute: int) -> str:
        """A minute as a date when the origin is known, else as days from now."""
        if self.origin is not None:
            return (self.origin + timedelta(minutes=minute)).strftime("%a %d %b %Y, %H:%M")
        days = (minute - self.now_minute) / (24 * 60)
        return f"minute {minute} ({days:.1f} days from now)"

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency)


def format_money(minor: int, currency: str) -> str:
    """Minor units as "EUR 1,234.50" (two decimals: the currencies we trade in)."""
    return f"{currency} {minor / 100:,.2f}"


# -- building the problem ----------------------------------------------------------------------


def shortlist(estimates: Sequence[Estimate], size: int = SHORTLIST) -> tuple[Estimate, ...]:
    """Cheapest first, keeping room for the fastest and the greenest machine."""
    if len(estimates) <= size:
        return tuple(estimates)
    by_cost = list(estimates)
    keep = by_cost[: max(1, size - 2)]
    for extra in (
        min(estimates, key=lambda e: (e.minutes, e.cost)),
        min(estimates, key=lambda e: (e.co2, e.cost)),
    ):
        if extra not in keep:
            keep.append(extra)
    for e in by_cost:
        if len(keep) >= size:
            break
        if e not in keep:
            keep.append(e)
    return tuple(sorted(keep[:size], key=by_cost.index))


def _assembly_geometry(lines: Sequence[PartToQuote]) -> PartGeometry:
    """The kit as one lump: summed volume and area, the largest bbox side by side."""
    dims = [line.geometry.dims for line in lines]
    return PartGeometry(
        volume_mm3=sum(line.geometry.volume_mm3 * line.quantity for line in lines),
        area_mm2=sum(line.geometry.area_mm2 * line.quantity for line in lines),
        bbox_mm=(max(d[0] for d in dims), max(d[1] for d in dims), max(d[2] for d in dims)),
    )


def _line_label(line: PartToQuote, many: bool) -> str:
    return f"{line.name or line.id}: " if many else ""


def build_problem(
    request: QuoteQuery,
    machines: Sequence[MachineSpec],
    carriers: Sequence[CarrierSpec],
    now_minute: int = 0,
    *,
    origin: datetime | None = None,
    shortlist_size: int = SHORTLIST,
    objective: Objective | None = None,
) -> tuple[Problem, QuoteContext]:
    """The engine problem for a quote request, and the context to explain its answers.

    One job per line (id = line id) with its planned steps and a shortlist of capable
    machines each; with assembly, a job ``assembly`` waiting for every line job. Jobs are
    released at ``now_minute``; the delivering jobs (the assembly, else every line) get the
    request's ``due`` as a hard deadline and a delivery leg from each candidate workshop.
    When ``context.issues`` is not empty the request cannot be quoted (the problem is still
    returned, with empty alternatives where no machine is capable).
    """
    lines = request.lines
    many = len(lines) > 1
    assembled = request.assembled
    issues: list[str] = []
    if not lines:
        issues.append("The request has no parts.")
    if len({line.id for line in lines}) != len(lines):
        issues.append("Two lines of the request share an id.")
    plans: list[LinePlan] = []
    estimates: dict[tuple[str, str], StepEstimates] = {}
    chosen: dict[tuple[str, str], tuple[Estimate, ...]] = {}
    step_order: dict[str, tuple[PlannedStep, ...]] = {}
    names: dict[str, str] = {}

    def add_step(
        job: str,
        step: PlannedStep,
        result: StepEstimates,
        label: str,
        geometry: PartGeometry,
        mat: MaterialSpec | None,
    ) -> None:
        estimates[(job, step.id)] = result
        chosen[(job, step.id)] = shortlist(result.estimates, shortlist_size)
        if not result.estimates:
            issues.append(label + no_machine_reason(result, geometry, mat))

    for line in lines:
        label = _line_label(line, many)
        names[line.id] = line.name or line.id
        plan = plan_line(
            LineRequest(
                id=line.id,
                geometry=line.geometry,
                material=line.material,
                finish=line.finish,
                quantity=line.quantity,
                tolerance=line.tolerance,
                five_axis=line.five_axis,
                multi_part=assembled,
            )
        )
        plans.append(plan)
        if not plan.feasible:
            issues += [label + r for r in plan.reasons]
            continue
        step_order[line.id] = plan.steps
        for step in plan.steps:
            result = estimate_step(
                step,
                line.geometry,
                line.material,
                line.quantity,
                machines,
                currency=request.currency,
            )
            add_step(line.id, step, result, label, line.geometry, line.material)

    assembly_job: str | None = None
    if assembled and lines:
        assembly_job = "assembly"
        while assembly_job in {line.id for line in lines}:
            assembly_job += "-order"
        names[assembly_job] = "assembly"
        kit = _assembly_geometry(lines)
        steps = assembly_steps()
        step_order[assembly_job] = steps
        for step in steps:
            result = estimate_step(
                step,
                kit,
                None,
                sum(line.quantity for line in lines),
                machines,
                currency=request.currency,
                check_envelope=False,
            )
            add_step(assembly_job, step, result, "", kit, None)

    specs = {m.id: m for m in machines}
    used = sorted({e.machine for short in chosen.values() for e in short})
    workshops = sorted({specs[m].workshop for m in used})
    place: dict[str, tuple[float, float]] = {}
    for m in used:
        place.setdefault(specs[m].workshop, (specs[m].lat, specs[m].lon))
    legs: dict[tuple[str, str], LegQuote] = {}
    delivery: dict[str, LegQuote] = {}
    if workshops and not carriers:
        issues.append("No carrier is available to move the parts.")
    elif workshops:
        for a in workshops:
            for b in workshops:
                if a != b:
                    legs[(a, b)] = transport_leg(place[a], place[b], carriers)
    delivering = (assembly_job,) if assembly_job else tuple(step_order)
    customer = (request.customer_lat, request.customer_lon)

    jobs: list[Routing] = []
    for job_id, steps in step_order.items():
        is_delivering = job_id in delivering
        job_delivery: dict[str, Leg] = {}
        if is_delivering and carriers and steps:
            for e in chosen[(job_id, steps[-1].id)]:
                if e.workshop not in delivery:
                    delivery[e.workshop] = transport_leg(place[e.workshop], customer, carriers)
                q = delivery[e.workshop]
                job_delivery[e.workshop] = Leg(q.minutes, q.cost, q.co2)
        jobs.append(
            Routing(
                id=job_id,
                steps=tuple(
                    Step(
                        s.id,
                        tuple(
                            Alternative(e.machine, e.minutes, e.cost, e.co2)
                            for e in chosen[(job_id, s.id)]
                        ),
                        s.processes[0] if len(s.processes) == 1 else s.id,
                    )
                    for s in steps
                ),
                release=now_minute,
                due=request.due if is_delivering else None,
                deadline=request.due if is_delivering else None,
                waits_for=tuple(j for j in step_order if j != job_id)
                if job_id == assembly_job
                else (),
                delivery=job_delivery,
            )
        )
    problem = Problem(
        jobs=tuple(jobs),
        machines=tuple(
            Resource(m, specs[m].workshop, specs[m].windows, specs[m].booked) for m in used
        ),
        transport=Transport({k: Leg(v.minutes, v.cost, v.co2) for k, v in legs.items()}),
        objective=objective or Objective(cost=1, makespan=1),
        name=request.id,
    )
    context = QuoteContext(
        request=request,
        now_minute=now_minute,
        origin=origin,
        plans=tuple(plans),
        assembly_job=assembly_job,
        delivering_jobs=delivering,
        estimates=estimates,
        machines={m: specs[m] for m in used},
        legs=legs,
        delivery=delivery,
        issues=tuple(issues),
        job_names=names,
    )
    return problem, context


# -- explaining the options --------------------------------------------------------------------


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


def _share(cost: int, basis_points: int) -> int:
    return math.floor(cost * basis_points / BASIS_POINTS + 0.5)


def _step_why(context: QuoteContext, label: str, rs: RouteStep, est: Estimate) -> str:
    name = context.workshop_name(rs.workshop)
    machine = context.machines[rs.machine].name or rs.machine
    text = (
        f"{rs.name[:1].upper()}{rs.name[1:]} at {name} on {machine}: {est.minutes} min, "
        f"{context.money(rs.cost)}, {rs.co2 / 1000:.2f} kg CO2 ({est.detail})."
    )
    if rs.runner_up_workshop is None:
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
    fixed ``platform_fee_minor`` per order; billing chooses them.
    """
    return [
        explain_option(
            o,
            context,
            margin_bp=margin_bp,
            platform_fee_bp=platform_fee_bp,
            platform_fee_minor=platform_fee_minor,
        )
        for o in options
    ]


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
    by_step = plan.by_step()
    steps: list[RouteStep] = []
    legs: list[RouteLeg] = []
    machines = context.machines

    def leg_between(job: str, a: str, b: str, depart: int) -> None:
        if a == b:
            return
        legs.append(_route_leg(job, a, b, context.legs[(a, b)], depart))

    last_workshop: dict[str, tuple[str, int]] = {}
    for job in _job_order(context):
        planned = _planned_steps(context, job)
        prev: tuple[str, int] | None = None
        for step in planned:
            a = by_step[(job, step.id)]
            est = context.estimate(job, step.id, a.machine)
            workshop = machines[a.machine].workshop
            if prev is None:
                waits = _job_order(context) if job == context.assembly_job else []
                for other in (j for j in waits if j != job):
                    ws, end = last_workshop[other]
                    leg_between(other, ws, workshop, end)
            else:
                leg_between(job, prev[0], workshop, prev[1])
            runner = context.runner_up(job, step.id, workshop)
            rs = RouteStep(
                job=job,
                step=step.id,
                name=step.name,
                process=machines[a.machine].process,
                workshop=workshop,
                machine=a.machine,
                start=a.start,
                end=a.end,
                cost=est.cost,
                co2=est.co2,
                runner_up_workshop=runner.workshop if runner else None,
                runner_up_machine=runner.machine if runner else None,
                runner_up_cost=runner.cost if runner else None,
                why="",
            )
            steps.append(replace(rs, why=_step_why(context, option.label, rs, est)))
            prev = (workshop, a.end)
        if prev is not None:
            last_workshop[job] = prev
            if job in context.delivering_jobs and prev[0] in context.delivery:
                q = context.delivery[prev[0]]
                legs.append(_route_leg(job, prev[0], CUSTOMER, q, prev[1]))
    cost = sum(s.cost for s in steps) + sum(leg.cost for leg in legs)
    margin = _share(cost, margin_bp)
    fee = _share(cost, platform_fee_bp) + platform_fee_minor
    route: list[RouteStep | RouteLeg] = sorted(
        [*steps, *legs],
        key=lambda r: (r.start, 1) if isinstance(r, RouteStep) else (r.depart, 0),
    )
    delivery_at = (
        context.origin + timedelta(minutes=plan.makespan) if context.origin is not None else None
    )
    workshops = []
    for s in steps:
        name = context.workshop_name(s.workshop)
        if name not in workshops:
            workshops.append(name)
    price = cost + margin + fee
    summary = (
        f"{context.money(price)}, delivered {context.when(plan.makespan)}, "
        f"{plan.co2 / 1000:.1f} kg CO2; made by {', '.join(workshops)}."
    )
    return QuotedOption(
        labels=option.labels,
        price=price,
        cost=cost,
        margin=margin,
        platform_fee=fee,
        currency=context.currency,
        delivery_minute=plan.makespan,
        delivery_at=delivery_at,
        co2_kg=plan.co2 / 1000,
        steps=tuple(steps),
        legs=tuple(legs),
        route=tuple(route),
        summary=summary,
        option=option,
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
    )


def _job_order(context: QuoteContext) -> list[str]:
    jobs = [p.line_id for p in context.plans if p.feasible]
    if context.assembly_job:
        jobs.append(context.assembly_job)
    return jobs


def _planned_steps(context: QuoteContext, job: str) -> list[PlannedStep]:
    return [r.step for (j, _), r in context.estimates.items() if j == job]


# -- the whole quote ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteResult:
    """Options to show, or reasons why there are none (``earliest``: for an impossible due)."""

    options: tuple[QuotedOption, ...]
    reasons: tuple[str, ...]
    problem: Problem
    context: QuoteContext
    earliest: int | None = None  # minutes
    plan: Plan | None = None  # the engine's answer when there are no options


def reasons_from_plan(plan: Plan, context: QuoteContext) -> tuple[tuple[str, ...], int | None]:
    """The engine's infeasibility issues in customer words, and the earliest delivery if late."""
    reasons: list[str] = []
    earliest: int | None = None
    for issue in plan.issues:
        if issue.code == "deadline_impossible" and issue.earliest is not None:
            earliest = max(earliest or 0, issue.earliest)
            continue
        if issue.code == "deadline_impossible":
            reasons.append("The due date is impossible for this order.")
        elif issue.code in ("no_available_machine", "no_capable_machine"):
            part = context.job_names.get(issue.job or "", issue.job or "")
            result = context.estimates.get((issue.job or "", issue.step or ""))
            what = result.step.name if result else issue.step
            reasons.append(
                f"No machine that can do {what} for {part} has a free slot long enough."
                if issue.code == "no_available_machine"
                else issue.message
            )
        else:
            reasons.append(issue.message)
    if earliest is not None:
        reasons.insert(
            0,
            f"The due date is impossible; the earliest possible delivery is "
            f"{context.when(earliest)}.",
        )
    if not reasons:
        reasons.append("No plan was found in the time allowed; please try again.")
    return tuple(reasons), earliest


def quote(
    request: QuoteQuery,
    machines: Sequence[MachineSpec],
    carriers: Sequence[CarrierSpec],
    *,
    now_minute: int = 0,
    origin: datetime | None = None,
    params: SolveParams | None = None,
    shortlist_size: int = SHORTLIST,
    margin_bp: int = 0,
    platform_fee_bp: int = 0,
    platform_fee_minor: int = 0,
) -> QuoteResult:
    """Plan, estimate, solve the four quote goals and explain them; or say why not."""
    problem, context = build_problem(
        request, machines, carriers, now_minute, origin=origin, shortlist_size=shortlist_size
    )
    if context.issues:
        return QuoteResult((), context.issues, problem, context)
    options = quote_options(problem, params)
    if options:
        quoted = explain(
            options,
            context,
            margin_bp=margin_bp,
            platform_fee_bp=platform_fee_bp,
            platform_fee_minor=platform_fee_minor,
        )
        return QuoteResult(tuple(quoted), (), problem, context)
    plan = solve(problem, params)
    reasons, earliest = reasons_from_plan(plan, context)
    return QuoteResult((), reasons, problem, context, earliest=earliest, plan=plan)
