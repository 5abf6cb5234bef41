"""The thin Django adapter of the matcher: database rows in, JSON-ready answers out.

It reads the network (``matching.selectors.network_snapshot``) and the designs' analyses,
hands plain dataclasses to the pure core (``matching.quoting.quote``,
``matching.engine.replan``) and turns what comes back into plain types (ints, strings, ISO
datetimes, minor units) that a JSONField or a service can store as is. It writes nothing:
the marketplace's services own quotes, jobs and bookings, and register the background
solvers run by ``matching.tasks.solve_and_store_task`` here (``register_solver``).
See docs/matching-adapter.md.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, Protocol

from django.utils import timezone

from config.live import publish_to_users_on_commit
from marketplace.designs.models import DesignRevision
from marketplace.network.models import Workshop
from matching.engine import (
    Alternative,
    Assignment,
    Job,
    Leg,
    Machine,
    MachineDown,
    Objective,
    Plan,
    Problem,
    SolveParams,
    Step,
    StepDeclined,
    StepLate,
    Transport,
    replan,
)
from matching.estimation import GRID_G_PER_KWH, MachineSpec, fits, power_kw, transport_leg
from matching.planning import PartGeometry
from matching.quoting import (
    CUSTOMER,
    QuotedOption,
    QuoteLine,
    QuoteRequest,
    QuoteResult,
    RouteLeg,
    RouteStep,
    build_problem,
    quote,
)
from matching.selectors import (
    DEFAULT_HORIZON_DAYS,
    Snapshot,
    carrier_specs,
    floor_minute,
    network_snapshot,
)

__all__ = [
    "MOVE_PENALTY",
    "SYNC_MAX_SIZE",
    "AdapterQuote",
    "CurrentAssignment",
    "MachineDownChange",
    "NewAssignment",
    "QuoteInput",
    "QuoteLineInput",
    "ReplanResult",
    "Snapshot",
    "StepDeclinedChange",
    "StepLateChange",
    "UnknownSolver",
    "enqueue",
    "legs_for_jobs",
    "network_snapshot",
    "quote_for",
    "register_solver",
    "replan_assignments",
    "run_solver",
    "size_of",
]

SYNC_MAX_SIZE = 60  # alternatives (steps x shortlisted machines) answered within the request
MAX_HORIZON_DAYS = 120  # days; a due date further out is still read only this far
MOVE_PENALTY = 10**6  # minor units added per moved step when re-planning (EUR 10,000)
REPLAN_SHORTLIST = 6  # machines offered per step when re-planning (plus the current one)
TARDINESS_PER_MINUTE = 100  # minor units per minute late against a re-plan's due dates

# -- quoting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLineInput:
    """One part to quote: a design revision (its ``analysis`` is read), material, finish."""

    revision_id: int
    material_code: str
    finish_code: str | None = None
    quantity: int = 1
    tolerance: str = "standard"  # "standard" | "precision" | "high-precision"
    five_axis: bool = False
    line_id: int | None = None  # the caller's line key, echoed in each step as "line_id"


@dataclass(frozen=True)
class QuoteInput:
    """A quote request as the marketplace collects it; ``due`` is a hard delivery date."""

    lines: Sequence[QuoteLineInput]
    ship_to_lat: float
    ship_to_lon: float
    due: datetime | None = None
    currency: str = "EUR"


@dataclass(frozen=True)
class AdapterQuote:
    """The answer to a quote request, in plain types (``to_dict`` is JSONField-ready).

    ``status``: ``ok`` (``options`` to offer), ``infeasible`` (the network cannot do it:
    ``reasons``, and ``earliest`` when only the due date is impossible) or ``refused`` (the
    request itself is wrong or incomplete: ``reasons``). ``origin`` is minute 0 of the plan.
    """

    status: Literal["ok", "infeasible", "refused"]
    options: list[dict[str, Any]]
    reasons: list[str]
    earliest: str | None  # ISO datetime
    origin: str  # ISO datetime
    currency: str
    size: int  # alternatives handed to the engine
    result: QuoteResult | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["result"]
        return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


LineIndex = Mapping[str, tuple[int, int, int | None]]


def _load_lines(
    input: QuoteInput, snapshot: Snapshot
) -> tuple[list[QuoteLine], dict[str, tuple[int, int, int | None]], list[str]]:
    """QuoteLines (id = line number from 1), ``{id: (index, revision id, line_id)}``, refusals."""
    ids = [line.revision_id for line in input.lines]
    revisions = DesignRevision.objects.select_related("design").in_bulk(ids)
    reasons: list[str] = []
    lines: list[QuoteLine] = []
    index: dict[str, tuple[int, int, int | None]] = {}
    if not input.lines:
        reasons.append("The request has no parts.")
    for i, line in enumerate(input.lines):
        revision = revisions.get(line.revision_id)
        if revision is None:
            reasons.append(f"Part {i + 1}: the design revision does not exist.")
            continue
        name = revision.design.name
        if revision.status != DesignRevision.Status.ANALYSED or not revision.analysis:
            reasons.append(
                f"{name} is not analysed yet ({revision.get_status_display().lower()}); "
                "it can be quoted once its analysis has finished."
                if revision.status != DesignRevision.Status.FAILED
                else f"{name} could not be read, so it cannot be quoted; upload it again."
            )
            continue
        material = snapshot.materials.get(line.material_code)
        if material is None:
            reasons.append(f"{name}: the material {line.material_code!r} is not in the catalog.")
            continue
        try:
            geometry = PartGeometry.from_analysis(revision.analysis)
        except (KeyError, TypeError, ValueError):
            reasons.append(f"{name}: its analysis is incomplete; analyse the design again.")
            continue
        line_id = str(i + 1)
        index[line_id] = (i, revision.pk, line.line_id)
        lines.append(
            QuoteLine(
                id=line_id,
                geometry=geometry,
                material=material,
                finish=line.finish_code or None,
                quantity=line.quantity,
                tolerance=line.tolerance,
                five_axis=line.five_axis,
                name=name,
            )
        )
    return lines, index, reasons


def _snapshot_for(input: QuoteInput, now: datetime, horizon_days: int) -> Snapshot:
    if input.due is not None:
        days = math.ceil((input.due - now).total_seconds() / 86400) + 1
        horizon_days = min(MAX_HORIZON_DAYS, max(horizon_days, days))
    return network_snapshot(origin=now, horizon_days=horizon_days, currency=input.currency)


def _request(input: QuoteInput, lines: Sequence[QuoteLine], snapshot: Snapshot) -> QuoteRequest:
    return QuoteRequest(
        lines=tuple(lines),
        customer_lat=input.ship_to_lat,
        customer_lon=input.ship_to_lon,
        due=snapshot.minute(input.due) if input.due is not None else None,
        currency=input.currency,
    )


def _size(problem: Problem) -> int:
    return sum(len(step.alternatives) for job in problem.jobs for step in job.steps)


def size_of(
    input: QuoteInput,
    *,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> int:
    """Steps x candidate machines the engine would get (0 when the request is refused).

    At most ``SYNC_MAX_SIZE``: answer within the request; above: solve in a Celery task.
    Pass the ``snapshot`` on to ``quote_for`` to read the network once.
    """
    now = floor_minute(now or timezone.now())
    snapshot = snapshot or _snapshot_for(input, now, horizon_days)
    lines, _, reasons = _load_lines(input, snapshot)
    if reasons:
        return 0
    problem, _ = build_problem(
        _request(input, lines, snapshot),
        snapshot.machines,
        snapshot.carriers,
        snapshot.minute(now),
        origin=snapshot.origin,
    )
    return _size(problem)


def quote_for(
    input: QuoteInput,
    *,
    margin_bp: int,
    platform_fee_bp: int,
    platform_fee_minor: int = 0,
    now: datetime | None = None,
    time_limit_s: float = 3.0,
    workers: int = 2,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> AdapterQuote:
    """Quote options (cheapest, fastest, lowest CO2, balanced) for a request, or why not.

    ``margin_bp`` and ``platform_fee_bp`` are basis points of the cost (1 % = 100) and
    ``platform_fee_minor`` a fixed fee per quote; the caller passes them from settings.
    ``time_limit_s`` is shared by the four solves.
    """
    now = floor_minute(now or timezone.now())
    snapshot = snapshot or _snapshot_for(input, now, horizon_days)
    lines, index, reasons = _load_lines(input, snapshot)
    if input.due is not None and input.due <= now:
        reasons.append("The due date is in the past.")
    if reasons:
        return AdapterQuote(
            "refused", [], reasons, None, snapshot.origin.isoformat(), input.currency, 0
        )
    result = quote(
        _request(input, lines, snapshot),
        snapshot.machines,
        snapshot.carriers,
        now_minute=snapshot.minute(now),
        origin=snapshot.origin,
        params=SolveParams(time_limit_s=time_limit_s, workers=workers),
        margin_bp=margin_bp,
        platform_fee_bp=platform_fee_bp,
        platform_fee_minor=platform_fee_minor,
    )
    assembly = result.context.assembly_job
    options = [_option_dict(o, snapshot, index, assembly) for o in result.options]
    status: Literal["ok", "infeasible"] = "ok" if options else "infeasible"
    earliest = snapshot.at(result.earliest) if result.earliest is not None else None
    return AdapterQuote(
        status=status,
        options=options,
        reasons=list(result.reasons),
        earliest=_iso(earliest),
        origin=snapshot.origin.isoformat(),
        currency=input.currency,
        size=_size(result.problem),
        result=result,
    )


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _step_dict(s: RouteStep, snapshot: Snapshot, index: LineIndex) -> dict:
    line = index.get(s.job)
    machine = snapshot.machine(s.machine)
    return {
        "kind": "step",
        "job": s.job,
        "line": line[0] if line else None,  # index into QuoteInput.lines; None: assembly
        "revision_id": line[1] if line else None,
        "line_id": line[2] if line else None,
        "step": s.step,
        "name": s.name,
        "process": s.process,
        "workshop_id": int(s.workshop),
        "workshop_name": snapshot.workshop_names.get(s.workshop, ""),
        "machine_id": int(s.machine),
        "machine_name": machine.name if machine else "",
        "start": snapshot.at(s.start).isoformat(),
        "end": snapshot.at(s.end).isoformat(),
        "minutes": s.end - s.start,
        "cost_minor": s.cost,
        "co2_g": s.co2,
        "runner_up_workshop_id": _int_or_none(s.runner_up_workshop),
        "runner_up_machine_id": _int_or_none(s.runner_up_machine),
        "runner_up_cost_minor": s.runner_up_cost,
        "why": s.why,
    }


def _leg_dict(leg: RouteLeg, snapshot: Snapshot) -> dict:
    return _leg_plain(
        job=leg.job,
        origin=leg.origin,
        destination=None if leg.destination == CUSTOMER else leg.destination,
        carrier=leg.carrier,
        carrier_name=snapshot.carrier_names.get(leg.carrier, ""),
        depart=snapshot.at(leg.depart),
        minutes=leg.arrive - leg.depart,
        km=leg.km,
        cost=leg.cost,
        co2=leg.co2,
        runner_up_carrier=leg.runner_up_carrier,
        runner_up_cost=leg.runner_up_cost,
    )


def _leg_plain(
    *,
    job: str,
    origin: str,
    destination: str | None,
    carrier: str,
    carrier_name: str,
    depart: datetime,
    minutes: int,
    km: float,
    cost: int,
    co2: int,
    runner_up_carrier: str | None,
    runner_up_cost: int | None,
) -> dict[str, Any]:
    return {
        "kind": "leg",
        "job": job,
        "origin_workshop_id": int(origin),
        "destination_workshop_id": None if destination is None else int(destination),
        "to_customer": destination is None,
        "carrier_id": int(carrier),
        "carrier_name": carrier_name,
        "depart": depart.isoformat(),
        "arrive": (depart + timedelta(minutes=minutes)).isoformat(),
        "km": round(km, 1),
        "cost_minor": cost,
        "co2_g": co2,
        "runner_up_carrier_id": _int_or_none(runner_up_carrier),
        "runner_up_cost_minor": runner_up_cost,
    }


def _option_dict(
    o: QuotedOption, snapshot: Snapshot, index: LineIndex, assembly_job: str | None
) -> dict[str, Any]:
    steps = [_step_dict(s, snapshot, index) for s in o.steps]
    legs = [_leg_dict(leg, snapshot) for leg in o.legs]
    by_id = {id(s): d for s, d in zip(o.steps, steps, strict=True)}
    by_id.update({id(leg): d for leg, d in zip(o.legs, legs, strict=True)})
    workshops: list[int] = []
    for s in steps:
        if s["workshop_id"] not in workshops:
            workshops.append(s["workshop_id"])
    return {
        "labels": list(o.labels),
        "price_minor": o.price,
        "cost_minor": o.cost,
        "margin_minor": o.margin,
        "platform_fee_minor": o.platform_fee,
        "currency": o.currency,
        "delivery_at": snapshot.at(o.delivery_minute).isoformat(),
        "co2_kg": round(o.co2_kg, 3),
        "summary": o.summary,
        "workshop_ids": workshops,
        "assembly_job": assembly_job,
        "steps": steps,
        "legs": legs,
        "route": [by_id[id(r)] for r in o.route],
    }


# -- background solvers ------------------------------------------------------------------------


class ProgressFn(Protocol):
    def __call__(self, user_ids: Iterable[int], data: dict[str, Any]) -> None: ...


SolverFn = Callable[..., Any]  # fn(object_id) or fn(object_id, progress)
_SOLVERS: dict[str, tuple[SolverFn, bool]] = {}


class UnknownSolver(LookupError):
    """No solver is registered under this kind (the app that owns it did not register it)."""


def register_solver(kind: str, fn: SolverFn) -> None:
    """Register ``fn(object_id)`` or ``fn(object_id, progress)`` under ``kind``.

    Registering a kind again replaces it. A solver that asks for ``progress`` (a second
    parameter) gets ``progress(user_ids, data)``, which publishes ``{"type":
    f"{kind}.progress", "data": data}`` to those users after commit.
    """
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    wants_progress = len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    _SOLVERS[kind] = (fn, wants_progress)


def unregister_solver(kind: str) -> None:
    _SOLVERS.pop(kind, None)


def progress_publisher(kind: str) -> ProgressFn:
    def progress(user_ids: Iterable[int], data: dict[str, Any]) -> None:
        publish_to_users_on_commit(list(user_ids), {"type": f"{kind}.progress", "data": data})

    return progress


def run_solver(*, kind: str, object_id: int) -> Any:
    """Run the solver registered for ``kind`` on one object; what it returns is the result."""
    entry = _SOLVERS.get(kind)
    if entry is None:
        raise UnknownSolver(f"No matching solver is registered for {kind!r}.")
    fn, wants_progress = entry
    if wants_progress:
        return fn(object_id, progress_publisher(kind))
    return fn(object_id)


def enqueue(kind: str, object_id: int) -> None:
    """Run the ``kind`` solver in the background (queue ``matching``); call it on commit."""
    from matching.tasks import solve_and_store_task

    solve_and_store_task.delay(kind, object_id)


# -- re-planning -------------------------------------------------------------------------------


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


Change = MachineDownChange | StepDeclinedChange | StepLateChange


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

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def moved_keys(self) -> set[tuple[str, str]]:
        return {(a.job_key, a.step_key) for a in self.moved}


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _offline_specs(machine_ids: Iterable[int]) -> dict[str, MachineSpec]:
    """Machines of the plan that the snapshot leaves out (down, unverified): no windows."""
    from marketplace.network.models import Machine as MachineRow

    rows = MachineRow.objects.select_related("process", "workshop__organization").filter(
        pk__in=list(machine_ids)
    )
    return {
        str(m.pk): MachineSpec(
            id=str(m.pk),
            workshop=str(m.workshop_id),
            process=m.process.code,
            materials=frozenset(),
            envelope_mm=(float(m.envelope_x_mm), float(m.envelope_y_mm), float(m.envelope_z_mm)),
            tolerance_mm=float(m.tolerance_mm),
            hourly_rate_minor=m.hourly_rate_minor,
            setup_cost_minor=m.setup_cost_minor,
            setup_minutes=m.setup_minutes,
            throughput=float(m.throughput),
            currency=m.currency,
            lat=float(m.workshop.latitude),
            lon=float(m.workshop.longitude),
            windows=(),
            name=m.name,
            workshop_name=m.workshop.organization.name,
        )
        for m in rows
    }


def _capable(a: CurrentAssignment, m: MachineSpec) -> bool:
    if m.process != a.process_code:
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


def replan_assignments(
    *,
    assignments: Sequence[CurrentAssignment],
    change: Change,
    now: datetime,
    time_limit_s: float = 3.0,
    workers: int = 2,
    move_penalty: int = MOVE_PENALTY,
    due: Mapping[str, datetime] | None = None,
    ship_to: tuple[float, float] | None = None,
    assembly_job: str | None = None,
    order_id: int | None = None,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> ReplanResult:
    """Re-plan an order's remaining steps after a breakdown, a decline or a late step.

    Done and running steps stay pinned (a running step on a machine that breaks down is
    lost and re-planned); planned steps may go to any capable machine of the network (the
    declining workshop excluded for that step; the broken machine blocked from ``at`` to
    ``until``), and each step that moves costs ``move_penalty`` minor units, so only what
    must move moves. Steps of a job are ordered by their current start (a repeated
    ``(job_key, step_key)``: the last one given counts). ``assembly_job`` waits for every
    other job (as ``CurrentAssignment.waits_for`` would say). ``due`` (per job key) are soft
    due dates; ``ship_to`` adds delivery legs to the jobs no other job waits for.
    ``order_id`` only names the problem (logs).
    """
    now = floor_minute(now)
    latest = {(a.job_key, a.step_key): a for a in assignments}
    assignments = sorted(latest.values(), key=lambda a: a.start)
    if snapshot is None:
        origin = floor_minute(min([now, *(a.start for a in assignments)]))
        days = horizon_days + (now - origin).days + 1
        snapshot = network_snapshot(origin=origin, horizon_days=days, now=now)

    def minute(moment: datetime) -> int:
        return snapshot.minute(moment)

    known = {a.machine_id for a in assignments}
    missing = {i for i in known if snapshot.machine(str(i)) is None}
    if isinstance(change, MachineDownChange) and snapshot.machine(str(change.machine_id)) is None:
        missing.add(change.machine_id)
    offline = _offline_specs(missing) if missing else {}

    def spec(machine_id: str) -> MachineSpec | None:
        return snapshot.machine(machine_id) or offline.get(machine_id)

    jobs: dict[str, list[CurrentAssignment]] = {}
    waits: dict[str, set[str]] = {}
    for a in assignments:
        jobs.setdefault(a.job_key, []).append(a)
        waits.setdefault(a.job_key, set()).update(a.waits_for)
    if assembly_job in waits:
        waits[assembly_job].update(j for j in jobs if j != assembly_job)

    extra_windows: dict[str, list[tuple[int, int]]] = {}
    current: list[Assignment] = []
    pinned: list[tuple[str, str]] = []
    engine_jobs: list[Job] = []
    used: set[str] = set()
    for job_key, steps in jobs.items():
        engine_steps: list[Step] = []
        for a in steps:
            mid = str(a.machine_id)
            start = minute(a.start)
            own = a.duration_minutes if a.status == "planned" else minute(a.end) - start
            own = max(1, own)
            alts: list[Alternative] = []
            ref = spec(mid)
            if ref is not None and (a.status != "planned" or snapshot.machine(mid) is not None):
                alts.append(Alternative(mid, own, a.cost_minor))
                held = start + own
                if isinstance(change, StepLateChange) and (change.job_key, change.step_key) == (
                    job_key,
                    a.step_key,
                ):
                    held = max(held, minute(change.new_end))
                extra_windows.setdefault(mid, []).append((start, held))
            if a.status != "done" and ref is not None:
                others = [
                    _scaled(a, ref, m) for m in snapshot.machines if m.id != mid and _capable(a, m)
                ]
                others.sort(key=lambda alt: (alt.cost, alt.duration, alt.machine))
                alts += others[:REPLAN_SHORTLIST]
            used.update(alt.machine for alt in alts)
            engine_steps.append(Step(a.step_key, tuple(alts), a.process_code))
            current.append(Assignment(job_key, a.step_key, mid, start, start + own))
            if a.status in ("done", "running"):
                pinned.append((job_key, a.step_key))
        engine_jobs.append(
            Job(
                id=job_key,
                steps=tuple(engine_steps),
                due=minute(due[job_key]) if due and job_key in due else None,
                waits_for=tuple(sorted(waits.get(job_key, ()))),
            )
        )
    if isinstance(change, MachineDownChange):
        used.add(str(change.machine_id))

    machines: list[Machine] = []
    places: dict[str, tuple[float, float]] = {}
    for mid in sorted(used):
        m = spec(mid)
        if m is None:
            continue
        windows = _merge([*(m.windows or ()), *extra_windows.get(mid, [])])
        machines.append(Machine(mid, m.workshop, windows, ()))
        places.setdefault(m.workshop, (m.lat, m.lon))

    legs: dict[tuple[str, str], Leg] = {}
    if snapshot.carriers:
        for wa in places:
            for wb in places:
                if wa != wb:
                    q = transport_leg(places[wa], places[wb], snapshot.carriers)
                    legs[(wa, wb)] = Leg(q.minutes, q.cost, q.co2)
        if ship_to is not None:
            waited_for = {j for w in waits.values() for j in w}
            delivery = {
                w: Leg(q.minutes, q.cost, q.co2)
                for w, q in (
                    (w, transport_leg(p, ship_to, snapshot.carriers)) for w, p in places.items()
                )
            }
            engine_jobs = [
                j if j.id in waited_for else _with_delivery(j, delivery) for j in engine_jobs
            ]
    problem = Problem(
        jobs=tuple(engine_jobs),
        machines=tuple(machines),
        transport=Transport(legs),
        objective=Objective(cost=1, makespan=1, tardiness=TARDINESS_PER_MINUTE if due else 0),
        name=f"order {order_id}" if order_id is not None else "",
    )
    engine_change: MachineDown | StepDeclined | StepLate
    if isinstance(change, MachineDownChange):
        engine_change = MachineDown(
            str(change.machine_id),
            minute(change.at),
            minute(change.until) if change.until is not None else None,
        )
    elif isinstance(change, StepDeclinedChange):
        engine_change = StepDeclined(change.job_key, change.step_key, str(change.workshop_id))
    else:
        engine_change = StepLate(change.job_key, change.step_key, minute(change.new_end))
    result = replan(
        problem,
        Plan("feasible", "none", tuple(current)),
        engine_change,
        pinned=pinned,
        now=minute(now),
        params=SolveParams(time_limit_s=time_limit_s, workers=workers),
        move_penalty=move_penalty,
    )
    plan = result.plan
    if not plan.has_schedule:
        reasons = tuple(i.message for i in plan.issues) or (
            "No new plan was found in the time allowed; please try again.",
        )
        return ReplanResult(plan.status, (), (), reasons, " ".join(reasons), plan)
    before = {(a.job_key, a.step_key): a for a in assignments}
    moved_keys = {(m.job, m.step) for m in result.moves}
    new: list[NewAssignment] = []
    for a in plan.assignments:
        key = (a.job, a.step)
        old = before[key]
        moved = key in moved_keys
        alt = _alternative(result.problem, a)
        start = snapshot.at(a.start) if moved else old.start
        reason = ""
        if moved:
            here = spec(a.machine)
            there = spec(str(old.machine_id))
            where = here.label if here else a.machine
            if str(old.machine_id) != a.machine:
                reason = (
                    f"{a.step} of {a.job} moves from {there.label if there else old.machine_id}"
                    f" to {where}, starting {start:%a %d %b %H:%M}."
                )
            else:
                reason = f"{a.step} of {a.job} now starts {start:%a %d %b %H:%M} at {where}."
        new.append(
            NewAssignment(
                job_key=a.job,
                step_key=a.step,
                machine_id=int(a.machine),
                workshop_id=int(result.problem.workshop_of(a.machine)),
                start=start,
                end=snapshot.at(a.end) if moved else old.end,
                cost_minor=alt.cost,
                status="planned" if moved and old.status == "running" else old.status,
                moved=moved,
                reason=reason,
            )
        )
    moved_steps = tuple(n for n in new if n.moved)
    summary = " ".join(n.reason for n in moved_steps) or "Nothing had to move."
    return ReplanResult(plan.status, tuple(new), moved_steps, (), summary, plan)


def _with_delivery(job: Job, delivery: Mapping[str, Leg]) -> Job:
    return replace(job, delivery=dict(delivery))


def _alternative(problem: Problem, a: Assignment) -> Alternative:
    step = next(s for s in problem.job(a.job).steps if s.id == a.step)
    return next(x for x in step.alternatives if x.machine == a.machine)


def legs_for_jobs(
    *,
    jobs: Sequence[tuple[str, int, datetime]],
    ship_to: tuple[float, float],
    assembly_job: str | None = None,
    currency: str = "EUR",
) -> list[dict[str, Any]]:
    """The transport legs of a plan, in the option format (``legs`` of a quote option).

    ``jobs`` are the plan's steps as ``(job_key, workshop_id, end)`` in route order. Legs
    join consecutive steps of a job at different workshops, every part's last workshop to
    the assembly's first, and the delivering jobs (the assembly, else every job) to
    ``ship_to``; each departs when the step before it ends, with the cheapest carrier.
    """
    carriers, names = carrier_specs(currency=currency)
    if not carriers or not jobs:
        return []
    rows = Workshop.objects.in_bulk({w for _, w, _ in jobs})
    place = {str(pk): (float(w.latitude), float(w.longitude)) for pk, w in rows.items()}
    by_job: dict[str, list[tuple[str, datetime]]] = {}
    for key, workshop_id, end in jobs:
        by_job.setdefault(key, []).append((str(workshop_id), end))
    legs: list[dict[str, Any]] = []

    def add(job: str, a: str, b: str | None, depart: datetime) -> None:
        if a == b:
            return
        q = transport_leg(place[a], place[b] if b is not None else ship_to, carriers)
        legs.append(
            _leg_plain(
                job=job,
                origin=a,
                destination=b,
                carrier=q.carrier,
                carrier_name=names.get(q.carrier, ""),
                depart=depart,
                minutes=q.minutes,
                km=q.km,
                cost=q.cost,
                co2=q.co2,
                runner_up_carrier=q.runner_up_carrier,
                runner_up_cost=q.runner_up_cost,
            )
        )

    for job, steps in by_job.items():
        for (a, end), (b, _) in pairwise(steps):
            add(job, a, b, end)
    delivering = list(by_job)
    if assembly_job in by_job:
        first = by_job[assembly_job][0][0]
        for job, steps in by_job.items():
            if job != assembly_job:
                add(job, steps[-1][0], first, steps[-1][1])
        delivering = [assembly_job]
    for job in delivering:
        workshop, end = by_job[job][-1]
        add(job, workshop, None, end)
    return legs
