"""From a customer's quote query to the engine's Problem, and the context to explain it.

Pure (no Django): the Django adapter reads machines, their windows and carriers from the
database into ``MachineSpec`` / ``CarrierSpec`` and calls ``build_problem`` (or
``matching.quoting.quote``). Each line becomes one engine job (its planned steps, each with a
shortlist of capable machines); a multi-part order adds an assembly job that waits for every
part; transport legs join the candidate workshops and deliver to the customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from matching.confidentiality import ConfidentialityRule, admitted, no_workshop_reason
from matching.engine import (
    Alternative,
    Leg,
    Objective,
    Problem,
    Resource,
    Routing,
    Step,
    Transport,
)
from matching.estimation import (
    CarrierSpec,
    Estimate,
    LegQuote,
    MachineSpec,
    StepEstimates,
    estimate_step,
    independent,
    no_machine_reason,
    reference_cost,
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
from matching.transport import Consignment, consignment_of

SHORTLIST = 6  # machines handed to the engine per step (cheapest, fastest, greenest first)

Place = tuple[float, float]  # (lat, lon)


@dataclass(frozen=True)
class PartToQuote:
    """One part of a quote query: design geometry, material, finish, quantity, tolerance."""

    id: str
    geometry: PartGeometry
    material: MaterialSpec
    finish: str | None = None
    quantity: int = 1
    tolerance: str = "standard"  # "standard" | "precision" | "high-precision"
    five_axis: bool = False
    name: str = ""  # the design's name, for messages
    confidentiality: ConfidentialityRule | None = None  # None: any capable workshop


@dataclass(frozen=True)
class QuoteQuery:
    """What a customer asks a quote for: the parts, where to deliver, and by when.

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


@dataclass(frozen=True)
class QuoteContext:
    """Everything ``build_problem`` worked out, to explain the engine's answers.

    ``estimates`` hold every capable machine per ``(job, step)``, not only the shortlist;
    ``legs`` are workshop-to-workshop, ``delivery`` workshop-to-customer. ``issues`` are
    reasons, in plain words, why the query cannot be quoted (empty: go ahead and solve).
    """

    query: QuoteQuery
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
        return self.query.currency

    def estimate(self, job: str, step: str, machine: str) -> Estimate:
        """The estimate of one step on one machine."""
        return next(e for e in self.estimates[(job, step)].estimates if e.machine == machine)

    def alternatives(self, job: str, step: str, machine: str) -> list[Estimate]:
        """Estimates for the step by parties independent of ``machine``'s (cheapest first)."""
        chosen = self.machines[machine]
        return [
            e
            for e in self.estimates[(job, step)].estimates
            if independent(chosen, self.machines[e.machine])
        ]

    def runner_up(self, job: str, step: str, machine: str) -> Estimate | None:
        """The cheapest estimate for the step by an independent, verified party."""
        return next(iter(self.alternatives(job, step, machine)), None)

    def reference(self, job: str, step: str, machine: str) -> int:
        """The median estimate for the step over ``machine`` and its independent
        alternatives: the bound the sharing rule puts on the runner-up's price."""
        own = self.estimate(job, step, machine).cost
        return reference_cost(own, (e.cost for e in self.alternatives(job, step, machine)))

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


@dataclass
class _Steps:
    """What planning and estimating the query gave, job by job (filled by the helpers below).

    ``order`` keeps each job's planned steps in job order, ``chosen`` the shortlist handed to
    the engine per ``(job, step)``; ``issues`` collect reasons the query cannot be quoted.
    """

    machines: Sequence[MachineSpec]
    currency: str
    shortlist_size: int
    plans: list[LinePlan] = field(default_factory=list)
    order: dict[str, tuple[PlannedStep, ...]] = field(default_factory=dict)
    estimates: dict[tuple[str, str], StepEstimates] = field(default_factory=dict)
    chosen: dict[tuple[str, str], tuple[Estimate, ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)

    def estimate(
        self,
        job: str,
        steps: tuple[PlannedStep, ...],
        part: tuple[PartGeometry, MaterialSpec | None, int],
        label: str,
        *,
        check_envelope: bool = True,
        rules: Sequence[tuple[str, ConfidentialityRule]] = (),
    ) -> None:
        """Estimate every step of a job on every machine the confidentiality ``rules`` (design
        name, rule) admit, and shortlist the capable ones."""
        geometry, material, quantity = part
        self.order[job] = steps
        machines = admitted(self.machines, [r for _, r in rules]) if rules else self.machines
        for step in steps:
            result = estimate_step(
                step,
                geometry,
                material,
                quantity,
                machines,
                currency=self.currency,
                check_envelope=check_envelope,
            )
            self.estimates[(job, step.id)] = result
            self.chosen[(job, step.id)] = shortlist(result.estimates, self.shortlist_size)
            if not result.estimates:
                self.issues.append(
                    label + self._no_machine(step, part, result, rules, check_envelope)
                )

    def _no_machine(
        self,
        step: PlannedStep,
        part: tuple[PartGeometry, MaterialSpec | None, int],
        result: StepEstimates,
        rules: Sequence[tuple[str, ConfidentialityRule]],
        check_envelope: bool,
    ) -> str:
        """Why no machine can make a step: the confidentiality rules when the whole network
        could, else what the estimator found."""
        geometry, material, quantity = part
        if rules:
            whole = estimate_step(
                step,
                geometry,
                material,
                quantity,
                self.machines,
                currency=self.currency,
                check_envelope=check_envelope,
            )
            if whole.estimates:
                return no_workshop_reason(rules)
        return no_machine_reason(result, geometry, material)

    def used_machines(self) -> list[str]:
        """Every shortlisted machine id, sorted."""
        return sorted({e.machine for short in self.chosen.values() for e in short})


def _query_issues(query: QuoteQuery) -> list[str]:
    issues: list[str] = []
    if not query.lines:
        issues.append("The request has no parts.")
    if len({line.id for line in query.lines}) != len(query.lines):
        issues.append("Two lines of the request share an id.")
    return issues


def _plan_part(found: _Steps, line: PartToQuote, query: QuoteQuery) -> None:
    """Plan one line's steps and estimate them; a line that cannot be made adds its reasons."""
    label = f"{line.name or line.id}: " if len(query.lines) > 1 else ""
    found.names[line.id] = line.name or line.id
    plan = plan_line(
        LineRequest(
            id=line.id,
            geometry=line.geometry,
            material=line.material,
            finish=line.finish,
            quantity=line.quantity,
            tolerance=line.tolerance,
            five_axis=line.five_axis,
            multi_part=query.assembled,
        )
    )
    found.plans.append(plan)
    if not plan.feasible:
        found.issues += [label + r for r in plan.reasons]
        return
    found.estimate(
        line.id,
        plan.steps,
        (line.geometry, line.material, line.quantity),
        label,
        rules=_rules([line]),
    )


def _rules(lines: Sequence[PartToQuote]) -> list[tuple[str, ConfidentialityRule]]:
    """The confidentiality rules of these lines, with their names (the assembler takes all)."""
    return [(line.name or line.id, line.confidentiality) for line in lines if line.confidentiality]


def _plan_assembly(found: _Steps, lines: Sequence[PartToQuote]) -> str:
    """Add the assembly job (its id cannot clash with a line's) and return its id."""
    job = "assembly"
    while job in {line.id for line in lines}:
        job += "-order"
    found.names[job] = "assembly"
    kit = _assembly_geometry(lines)
    quantity = sum(line.quantity for line in lines)
    found.estimate(
        job,
        assembly_steps(),
        (kit, None, quantity),
        "",
        check_envelope=False,
        rules=_rules(lines),
    )
    return job


def _assembly_geometry(lines: Sequence[PartToQuote]) -> PartGeometry:
    """The kit as one lump: summed volume and area, the largest bbox side by side."""
    dims = [line.geometry.dims for line in lines]
    return PartGeometry(
        volume_mm3=sum(line.geometry.volume_mm3 * line.quantity for line in lines),
        area_mm2=sum(line.geometry.area_mm2 * line.quantity for line in lines),
        bbox_mm=(max(d[0] for d in dims), max(d[1] for d in dims), max(d[2] for d in dims)),
    )


def _workshop_places(specs: Mapping[str, MachineSpec], used: Sequence[str]) -> dict[str, Place]:
    """Where each workshop of the used machines is (its first machine's coordinates)."""
    places: dict[str, Place] = {}
    for m in used:
        places.setdefault(specs[m].workshop, (specs[m].lat, specs[m].lon))
    return places


def consignment_of_parts(lines: Sequence[PartToQuote]) -> Consignment:
    """Every part of an order, packed: what each of its legs is priced as carrying, in its
    quote and in its re-plans alike (a leg between two workshops carries one part's batch,
    so this errs on the dear side)."""
    return consignment_of(
        [
            (p.geometry.volume_mm3, p.geometry.bbox_mm, p.material.density_g_cm3, p.quantity)
            for p in lines
        ]
    )


def consignment_of_query(query: QuoteQuery) -> Consignment:
    """Everything the quote asks for, packed (``consignment_of_parts``)."""
    return consignment_of_parts(query.lines)


def _workshop_legs(
    places: Mapping[str, Place], carriers: Sequence[CarrierSpec], load: Consignment
) -> dict[tuple[str, str], LegQuote]:
    """The best carrier's leg between every ordered pair of candidate workshops."""
    workshops = sorted(places)
    return {
        (a, b): transport_leg(places[a], places[b], carriers, load)
        for a in workshops
        for b in workshops
        if a != b
    }


def _delivery_legs(
    found: _Steps,
    delivering: Sequence[str],
    places: Mapping[str, Place],
    customer: Place,
    carriers: Sequence[CarrierSpec],
    load: Consignment,
) -> dict[str, LegQuote]:
    """The leg to the customer from every workshop that may do a delivering job's last step."""
    delivery: dict[str, LegQuote] = {}
    if not carriers:
        return delivery
    for job in delivering:
        steps = found.order[job]
        for e in found.chosen[(job, steps[-1].id)] if steps else ():
            if e.workshop not in delivery:
                delivery[e.workshop] = transport_leg(places[e.workshop], customer, carriers, load)
    return delivery


def _leg(q: LegQuote) -> Leg:
    return Leg(q.minutes, q.cost, q.co2)


def _routing(
    found: _Steps,
    job: str,
    *,
    query: QuoteQuery,
    now_minute: int,
    assembly_job: str | None,
    delivery: Mapping[str, LegQuote] | None,
) -> Routing:
    """One engine job; ``delivery`` is None for a job that does not deliver to the customer."""
    steps = found.order[job]
    legs: dict[str, Leg] = {}
    if delivery and steps:
        for e in found.chosen[(job, steps[-1].id)]:
            legs[e.workshop] = _leg(delivery[e.workshop])
    due = query.due if delivery is not None else None
    return Routing(
        id=job,
        steps=tuple(
            Step(
                s.id,
                tuple(
                    Alternative(e.machine, e.minutes, e.cost, e.co2)
                    for e in found.chosen[(job, s.id)]
                ),
                s.processes[0] if len(s.processes) == 1 else s.id,
            )
            for s in steps
        ),
        release=now_minute,
        due=due,
        deadline=due,
        waits_for=tuple(j for j in found.order if j != job) if job == assembly_job else (),
        delivery=legs,
    )


def build_problem(
    query: QuoteQuery,
    machines: Sequence[MachineSpec],
    carriers: Sequence[CarrierSpec],
    now_minute: int = 0,
    *,
    origin: datetime | None = None,
    shortlist_size: int = SHORTLIST,
    objective: Objective | None = None,
) -> tuple[Problem, QuoteContext]:
    """The engine problem for a quote query, and the context to explain its answers.

    One job per line (id = line id) with its planned steps and a shortlist of capable
    machines each; with assembly, a job ``assembly`` waiting for every line job. Jobs are
    released at ``now_minute``; the delivering jobs (the assembly, else every line) get the
    query's ``due`` as a hard deadline and a delivery leg from each candidate workshop.
    When ``context.issues`` is not empty the query cannot be quoted (the problem is still
    returned, with empty alternatives where no machine is capable).
    """
    found = _Steps(machines, query.currency, shortlist_size, issues=_query_issues(query))
    for line in query.lines:
        _plan_part(found, line, query)
    assembly_job = _plan_assembly(found, query.lines) if query.assembled and query.lines else None
    specs = {m.id: m for m in machines}
    used = found.used_machines()
    places = _workshop_places(specs, used)
    if places and not carriers:
        found.issues.append("No carrier is available to move the parts.")
    load = consignment_of_query(query)
    legs = _workshop_legs(places, carriers, load) if carriers else {}
    delivering = (assembly_job,) if assembly_job else tuple(found.order)
    customer = (query.customer_lat, query.customer_lon)
    delivery = _delivery_legs(found, delivering, places, customer, carriers, load)
    problem = Problem(
        jobs=tuple(
            _routing(
                found,
                job,
                query=query,
                now_minute=now_minute,
                assembly_job=assembly_job,
                delivery=delivery if job in delivering else None,
            )
            for job in found.order
        ),
        machines=tuple(
            Resource(m, specs[m].workshop, specs[m].windows, specs[m].booked) for m in used
        ),
        transport=Transport({k: _leg(v) for k, v in legs.items()}),
        objective=objective or Objective(cost=1, makespan=1),
        name=query.id,
    )
    context = QuoteContext(
        query=query,
        now_minute=now_minute,
        origin=origin,
        plans=tuple(found.plans),
        assembly_job=assembly_job,
        delivering_jobs=delivering,
        estimates=found.estimates,
        # Every capable machine, not only the shortlist: runner-ups and references read them.
        machines={
            **{e.machine: specs[e.machine] for r in found.estimates.values() for e in r.estimates},
            **{m: specs[m] for m in used},
        },
        legs=legs,
        delivery=delivery,
        issues=tuple(found.issues),
        job_names=found.names,
    )
    return problem, context
