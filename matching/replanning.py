"""Re-planning an order's remaining steps after a breakdown, a decline or a late step.

The caller describes the current plan (``CurrentAssignment``), the change and the network
(a ``Snapshot`` plus the specs of the plan's machines the snapshot leaves out); this module
builds the engine's problem, runs ``matching.engine.replan`` and says what moved, in
datetimes and words (the legs of the new plan: ``matching.routes.legs_for_jobs``). It
reads no database. See docs/matching-adapter.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from matching.confidentiality import ConfidentialityRule
from matching.engine import (
    Alternative,
    Assignment,
    Leg,
    MachineDown,
    Objective,
    Plan,
    Problem,
    Replan,
    Resource,
    Routing,
    SolveParams,
    Step,
    StepDeclined,
    StepLate,
    Transport,
    replan,
)
from matching.estimation import (
    GRID_G_PER_KWH,
    CarrierSpec,
    MachineSpec,
    fits,
    power_kw,
    transport_leg,
)
from matching.planning import PROCESS_NAMES
from matching.snapshot import DEFAULT_HORIZON_DAYS, Snapshot, floor_minute
from matching.transport import SMALL_PARCEL, Consignment

__all__ = [
    "MOVE_PENALTY",
    "Change",
    "CurrentAssignment",
    "MachineDownChange",
    "MachineUpChange",
    "NewAssignment",
    "ReplanResult",
    "StepDeclinedChange",
    "StepLateChange",
    "offline_machine_ids",
    "replan_assignments",
    "replan_window",
]

MOVE_PENALTY = 10**6  # minor units added per moved step when re-planning (EUR 10,000)
REPLAN_SHORTLIST = 6  # machines offered per step when re-planning (plus the current one)
TARDINESS_PER_MINUTE = 100  # minor units per minute late against a re-plan's due dates


@dataclass(frozen=True)
class CurrentAssignment:
    """One step of an order's current plan, as the marketplace's job rows describe it.

    Steps of a job are given in route order. ``duration_minutes`` and ``cost_minor`` are
    for ``machine_id``; other machines' times and costs are scaled from them (see
    docs/matching-adapter.md). ``material_code``, ``part_dims_mm`` and ``tolerance_mm``
    narrow the other machines to those that take the material, fit the part and hold the
    tolerance (None: no filter). ``waits_for``: job keys this job waits for (assembly).
    """

    job_key: str
    step_key: str
    machine_id: int
    start: datetime
    end: datetime
    status: Literal["done", "running", "planned"]
    process_code: str
    duration_minutes: int
    cost_minor: int = 0
    material_code: str | None = None
    part_dims_mm: tuple[float, float, float] | None = None
    tolerance_mm: float | None = None
    waits_for: tuple[str, ...] = ()
    name: str = ""  # the step in words ("3-axis CNC milling of Bracket"), for messages
    # The rules of the confidential designs this step handles (its part's; every part's for
    # an assembly): another machine is a candidate only if each admits it.
    confidentiality: tuple[ConfidentialityRule, ...] = ()


@dataclass(frozen=True)
class MachineDownChange:
    """The machine cannot run from ``at`` until ``until`` (None: until further notice)."""

    machine_id: int
    at: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class StepDeclinedChange:
    """The workshop declined the step; it is offered to other workshops only."""

    job_key: str
    step_key: str
    workshop_id: int


@dataclass(frozen=True)
class StepLateChange:
    """A running step now ends at ``new_end``."""

    job_key: str
    step_key: str
    new_end: datetime


@dataclass(frozen=True)
class MachineUpChange:
    """Capacity is back from ``at`` (the machine, or several when None): nothing is blocked,
    the plan may improve."""

    machine_id: int | None
    at: datetime


Change = MachineDownChange | MachineUpChange | StepDeclinedChange | StepLateChange


@dataclass(frozen=True)
class NewAssignment:
    """A step's place in the new plan; ``moved``: machine, start or end changed."""

    job_key: str
    step_key: str
    machine_id: int
    workshop_id: int
    start: datetime
    end: datetime
    cost_minor: int
    status: str  # as given; a running step lost on a broken machine becomes "planned"
    moved: bool
    reason: str = ""  # for a moved step, in words: where it went and when


@dataclass(frozen=True)
class ReplanResult:
    """The new plan (``ok``) or why there is none (``reasons``).

    ``assignments`` hold every step (moved or not); ``moved`` the ones that moved, which
    the marketplace re-offers and re-books; ``summary`` says what happened in one line.
    """

    status: str  # the engine's: optimal | feasible | infeasible | unknown
    assignments: tuple[NewAssignment, ...]
    moved: tuple[NewAssignment, ...]
    reasons: tuple[str, ...]
    summary: str
    plan: Plan = field(compare=False, repr=False)
    # Set by ``matching.replan_orders``: delivery (last step plus its leg) and cost (steps and
    # legs, minor units) of the new plan and of the plan before, for the promise and recovery.
    delivery_at: datetime | None = None
    delivery_before: datetime | None = None
    cost_minor: int | None = None
    cost_before_minor: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def moved_keys(self) -> set[tuple[str, str]]:
        return {(a.job_key, a.step_key) for a in self.moved}


# -- what the caller reads first ----------------------------------------------------------------


def _latest(assignments: Iterable[CurrentAssignment]) -> list[CurrentAssignment]:
    """One assignment per ``(job_key, step_key)`` (the last given counts), by start."""
    latest = {(a.job_key, a.step_key): a for a in assignments}
    return sorted(latest.values(), key=lambda a: a.start)


def replan_window(
    assignments: Sequence[CurrentAssignment],
    now: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> tuple[datetime, int]:
    """Origin and days of the snapshot a re-plan needs: from its earliest step (or ``now``).

    Every step given counts, repeated keys too: the assignments of several orders share job
    keys (``part-1``), and a window that starts after a done or running step squeezes it
    before the origin, where it clashes with the step after it and the plan is infeasible.
    """
    now = floor_minute(now)
    origin = floor_minute(min([now, *(a.start for a in assignments)]))
    return origin, horizon_days + (now - origin).days + 1


def offline_machine_ids(
    assignments: Sequence[CurrentAssignment], change: Change, snapshot: Snapshot
) -> set[int]:
    """Machines of the plan (and a broken one) the snapshot leaves out: down, unverified.

    The caller reads their specs (no windows) and passes them to ``replan_assignments``.
    """
    missing = {
        a.machine_id for a in _latest(assignments) if snapshot.machine(str(a.machine_id)) is None
    }
    if isinstance(change, MachineDownChange) and snapshot.machine(str(change.machine_id)) is None:
        missing.add(change.machine_id)
    return missing


# -- the engine's problem -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Specs:
    """Machine specs by engine id: the snapshot's, then the offline ones."""

    snapshot: Snapshot
    offline: Mapping[str, MachineSpec]

    def get(self, machine_id: str) -> MachineSpec | None:
        return self.snapshot.machine(machine_id) or self.offline.get(machine_id)


@dataclass
class _EngineView:
    """The current plan as the engine sees it, filled in step by step."""

    jobs: list[Routing] = field(default_factory=list)
    current: list[Assignment] = field(default_factory=list)
    pinned: list[tuple[str, str]] = field(default_factory=list)
    held: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # the plan's own time
    used: set[str] = field(default_factory=set)  # machines of some alternative
    now: int = 0  # minute of the re-plan: a done step ended by then


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _capable(a: CurrentAssignment, m: MachineSpec) -> bool:
    if m.process != a.process_code:
        return False
    if not all(rule.admits(m) for rule in a.confidentiality):
        return False
    if a.material_code and m.materials and a.material_code not in m.materials:
        return False
    sized = a.part_dims_mm and a.process_code not in ("assembly", "laser-cutting")
    if sized and not fits(sorted(a.part_dims_mm or (), reverse=True), m.envelope_mm):
        return False
    return a.tolerance_mm is None or m.tolerance_mm <= a.tolerance_mm + 1e-9


def _scaled(a: CurrentAssignment, ref: MachineSpec, m: MachineSpec) -> Alternative:
    """The step on ``m``, scaled from its current machine: run time by throughput ratio,
    setup and rates of ``m``, the same material cost; CO2 from the process's power."""
    run = max(0, a.duration_minutes - ref.setup_minutes)  # minutes on the current machine
    material = max(0, a.cost_minor - ref.setup_cost_minor - round(ref.hourly_rate_minor * run / 60))
    run_m = run * ref.throughput / m.throughput if m.throughput > 0 else run
    minutes = max(1, m.setup_minutes + math.ceil(run_m))
    cost = m.setup_cost_minor + round(m.hourly_rate_minor * run_m / 60) + material
    co2 = round(power_kw(m.process) * run_m / 60 * (m.grid_g_per_kwh or GRID_G_PER_KWH))
    return Alternative(m.id, minutes, cost, co2)


def _engine_step(a: CurrentAssignment, change: Change, specs: _Specs, view: _EngineView) -> Step:
    """The step with its alternatives: its own machine (unless it left the network while
    still planned) and, unless done, the cheapest capable others; records it in ``view``."""
    snapshot = specs.snapshot
    mid = str(a.machine_id)
    start = snapshot.minute(a.start)
    own = a.duration_minutes if a.status == "planned" else snapshot.minute(a.end) - start
    if a.status == "done":
        # A done step ended by now, whatever its plan said: so a breakdown from now on never
        # overlaps it, and the engine never unpins (moves) it.
        end = max(min(start + max(1, own), view.now), 1)
        start = max(0, min(start, end - 1))
        own = end - start
    own = max(1, own)
    alts: list[Alternative] = []
    ref = specs.get(mid)
    if ref is not None and (a.status != "planned" or snapshot.machine(mid) is not None):
        alts.append(Alternative(mid, own, a.cost_minor))
        held = start + own
        if isinstance(change, StepLateChange) and (change.job_key, change.step_key) == (
            a.job_key,
            a.step_key,
        ):
            held = max(held, snapshot.minute(change.new_end))
        view.held.setdefault(mid, []).append((start, held))
    if a.status != "done" and ref is not None:
        others = [_scaled(a, ref, m) for m in snapshot.machines if m.id != mid and _capable(a, m)]
        others.sort(key=lambda alt: (alt.cost, alt.duration, alt.machine))
        alts += others[:REPLAN_SHORTLIST]
    view.used.update(alt.machine for alt in alts)
    view.current.append(Assignment(a.job_key, a.step_key, mid, start, start + own))
    if a.status in ("done", "running"):
        view.pinned.append((a.job_key, a.step_key))
    return Step(a.step_key, tuple(alts), a.process_code)


def _waits(
    jobs: Mapping[str, Sequence[CurrentAssignment]], assembly_job: str | None
) -> dict[str, set[str]]:
    """Job key -> the job keys it waits for; the assembly waits for every other job."""
    waits = {key: {w for a in steps for w in a.waits_for} for key, steps in jobs.items()}
    if assembly_job in waits:
        waits[assembly_job].update(j for j in jobs if j != assembly_job)
    return waits


def _engine_view(
    jobs: Mapping[str, Sequence[CurrentAssignment]],
    change: Change,
    specs: _Specs,
    due: Mapping[str, datetime] | None,
    waits: Mapping[str, set[str]],
    now: int = 0,
) -> _EngineView:
    """One engine job per job key, its steps in the given order, with due dates and waits."""
    view = _EngineView(now=now)
    for job_key, steps in jobs.items():
        engine_steps = tuple(_engine_step(a, change, specs, view) for a in steps)
        view.jobs.append(
            Routing(
                id=job_key,
                steps=engine_steps,
                due=specs.snapshot.minute(due[job_key]) if due and job_key in due else None,
                waits_for=tuple(sorted(waits.get(job_key, ()))),
            )
        )
    return view


def _engine_machines(
    view: _EngineView, specs: _Specs
) -> tuple[list[Resource], dict[str, tuple[float, float]]]:
    """The machines of every alternative with their windows plus the plan's own time, and
    where each of their workshops is."""
    machines: list[Resource] = []
    places: dict[str, tuple[float, float]] = {}
    for mid in sorted(view.used):
        m = specs.get(mid)
        if m is None:
            continue
        windows = _merge([*(m.windows or ()), *view.held.get(mid, [])])
        machines.append(Resource(mid, m.workshop, windows, ()))
        places.setdefault(m.workshop, (m.lat, m.lon))
    return machines, places


def _transport(
    places: Mapping[str, tuple[float, float]],
    carriers: Sequence[CarrierSpec],
    load: Consignment = SMALL_PARCEL,
) -> dict[tuple[str, str], Leg]:
    legs: dict[tuple[str, str], Leg] = {}
    for wa in places:
        for wb in places:
            if wa != wb:
                q = transport_leg(places[wa], places[wb], carriers, load)
                legs[(wa, wb)] = Leg(q.minutes, q.cost, q.co2)
    return legs


def _with_deliveries(
    jobs: Sequence[Routing],
    waits: Mapping[str, set[str]],
    places: Mapping[str, tuple[float, float]],
    ship_to: tuple[float, float],
    carriers: Sequence[CarrierSpec],
    load: Consignment = SMALL_PARCEL,
) -> list[Routing]:
    """Delivery legs to ``ship_to`` from every workshop, for the jobs nothing waits for."""
    waited_for = {j for w in waits.values() for j in w}
    delivery = {
        w: Leg(q.minutes, q.cost, q.co2)
        for w, q in ((w, transport_leg(p, ship_to, carriers, load)) for w, p in places.items())
    }
    return [j if j.id in waited_for else replace(j, delivery=dict(delivery)) for j in jobs]


def _engine_change(
    change: Change, snapshot: Snapshot
) -> MachineDown | StepDeclined | StepLate | None:
    minute = snapshot.minute
    if isinstance(change, MachineUpChange):
        return None
    if isinstance(change, MachineDownChange):
        return MachineDown(
            str(change.machine_id),
            minute(change.at),
            minute(change.until) if change.until is not None else None,
        )
    if isinstance(change, StepDeclinedChange):
        return StepDeclined(change.job_key, change.step_key, str(change.workshop_id))
    return StepLate(change.job_key, change.step_key, minute(change.new_end))


# -- the answer ---------------------------------------------------------------------------------


def _alternative(problem: Problem, a: Assignment) -> Alternative:
    step = next(s for s in problem.job(a.job).steps if s.id == a.step)
    return next(x for x in step.alternatives if x.machine == a.machine)


def _move_reason(
    a: Assignment, old: CurrentAssignment, start: datetime, specs: _Specs, job: str
) -> str:
    here = specs.get(a.machine)
    there = specs.get(str(old.machine_id))
    where = here.label if here else a.machine
    what = old.name or f"The {PROCESS_NAMES.get(old.process_code, old.process_code)} step"
    what = what[0].upper() + what[1:]
    if str(old.machine_id) != a.machine:
        return (
            f"{what} moves from {there.label if there else old.machine_id}"
            f" to {where}, starting {start:%a %d %b %H:%M}."
        )
    return f"{what} now starts {start:%a %d %b %H:%M} at {where}."


def _new_assignments(
    result: Replan,
    assignments: Sequence[CurrentAssignment],
    specs: _Specs,
    names: Mapping[str, str] | None = None,
) -> list[NewAssignment]:
    """Every step of the new plan; unmoved steps keep their exact datetimes. ``names``: the
    caller's job key for an engine job id (several orders in one problem)."""
    names = names or {}
    snapshot = specs.snapshot
    before = {(a.job_key, a.step_key): a for a in assignments}
    moved_keys = {(m.job, m.step) for m in result.moves}
    new: list[NewAssignment] = []
    for a in result.plan.assignments:
        old = before[(a.job, a.step)]
        moved = (a.job, a.step) in moved_keys
        start = snapshot.at(a.start) if moved else old.start
        job = names.get(a.job, a.job)
        new.append(
            NewAssignment(
                job_key=job,
                step_key=a.step,
                machine_id=int(a.machine),
                workshop_id=int(result.problem.workshop_of(a.machine)),
                start=start,
                end=snapshot.at(a.end) if moved else old.end,
                cost_minor=_alternative(result.problem, a).cost,
                status="planned" if moved and old.status == "running" else old.status,
                moved=moved,
                reason=_move_reason(a, old, start, specs, job) if moved else "",
            )
        )
    return new


def replan_assignments(
    *,
    assignments: Sequence[CurrentAssignment],
    change: Change,
    now: datetime,
    snapshot: Snapshot,
    offline: Mapping[str, MachineSpec] | None = None,
    time_limit_s: float = 3.0,
    workers: int = 2,
    move_penalty: int = MOVE_PENALTY,
    due: Mapping[str, datetime] | None = None,
    ship_to: tuple[float, float] | None = None,
    assembly_job: str | None = None,
    order_id: int | None = None,
    load: Consignment = SMALL_PARCEL,
) -> ReplanResult:
    """Re-plan an order's remaining steps after a breakdown, a decline or a late step.

    Done and running steps stay pinned (a running step on a machine that breaks down is
    lost and re-planned); planned steps may go to any capable machine of ``snapshot`` (the
    declining workshop excluded for that step; the broken machine blocked from ``at`` to
    ``until``), and each step that moves costs ``move_penalty`` minor units, so only what
    must move moves. ``offline`` are the specs of the plan's machines the snapshot leaves
    out, by engine id (see ``offline_machine_ids``). Steps of a job are ordered by their
    current start (a repeated ``(job_key, step_key)``: the last one given counts).
    ``assembly_job`` waits for every other job (as ``CurrentAssignment.waits_for`` would
    say). ``due`` (per job key) are soft due dates; ``ship_to`` adds delivery legs to the
    jobs no other job waits for. ``load`` is what each leg carries, priced as the quote
    prices it (``matching.quote_answers.consignment_for``); without it, one small parcel.
    ``order_id`` only names the problem (logs).
    """
    now = floor_minute(now)
    assignments = _latest(assignments)
    specs = _Specs(snapshot, offline or {})
    jobs: dict[str, list[CurrentAssignment]] = {}
    for a in assignments:
        jobs.setdefault(a.job_key, []).append(a)
    waits = _waits(jobs, assembly_job)
    view = _engine_view(jobs, change, specs, due, waits, now=snapshot.minute(now))
    if isinstance(change, MachineDownChange | MachineUpChange) and change.machine_id is not None:
        view.used.add(str(change.machine_id))
    machines, places = _engine_machines(view, specs)
    engine_jobs = view.jobs
    legs: dict[tuple[str, str], Leg] = {}
    if snapshot.carriers:
        legs = _transport(places, snapshot.carriers, load)
        if ship_to is not None:
            engine_jobs = _with_deliveries(
                engine_jobs, waits, places, ship_to, snapshot.carriers, load
            )
    problem = Problem(
        jobs=tuple(engine_jobs),
        machines=tuple(machines),
        transport=Transport(legs),
        objective=Objective(cost=1, makespan=1, tardiness=TARDINESS_PER_MINUTE if due else 0),
        name=f"order {order_id}" if order_id is not None else "",
    )
    result = replan(
        problem,
        Plan("feasible", "none", tuple(view.current)),
        _engine_change(change, snapshot),
        pinned=view.pinned,
        now=snapshot.minute(now),
        params=SolveParams(time_limit_s=time_limit_s, workers=workers),
        move_penalty=move_penalty,
    )
    plan = result.plan
    if not plan.has_schedule:
        reasons = tuple(i.message for i in plan.issues) or (
            "No new plan was found in the time allowed; please try again.",
        )
        return ReplanResult(plan.status, (), (), reasons, " ".join(reasons), plan)
    new = _new_assignments(result, assignments, specs)
    moved_steps = tuple(n for n in new if n.moved)
    summary = " ".join(n.reason for n in moved_steps) or "Nothing had to move."
    return ReplanResult(plan.status, tuple(new), moved_steps, (), summary, plan)
