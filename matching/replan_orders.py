"""Re-planning several orders in one solve: an outage, or capacity coming back.

Every affected order's steps enter one engine problem, its job keys namespaced as
``<order id>/<job key>`` so that two orders' ``part-1`` never meet; the engine's machine
calendars then keep any two orders off the same time, and the rest of the network is the
snapshot's free time. Each order gets its own ``ReplanResult`` back, in its own job keys,
with the delivery and cost of its plan before and after (for the promise and for recovery).

After a breakdown, promises come first: a minute late weighs more than a moved step
(``promise_weight``), so another affected order's step moves aside, or a hit order's other
steps follow it, rather than an order missing its date (with ``TARDINESS_PER_MINUTE`` a
moved step was worth a week of lateness, and a whole weekend late was the cheaper plan).

If the joint solve finds no schedule in its time, or leaves an order late, each order is
also re-planned alone on the network minus the time the earlier ones took (those that can
keep their promise first, soonest due first), and the better of the two answers is kept:
fewer orders without a plan, then fewer late, then fewer hours late, then fewer moves.
Reads no database.
"""

from __future__ import annotations

import math
import time as wallclock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from matching.engine import (
    Assignment,
    Leg,
    Objective,
    Plan,
    Problem,
    Routing,
    SolveParams,
    Transport,
    replan,
)
from matching.estimation import MachineSpec
from matching.replanning import (
    MOVE_PENALTY,
    TARDINESS_PER_MINUTE,
    CurrentAssignment,
    MachineDownChange,
    MachineUpChange,
    NewAssignment,
    ReplanResult,
    _engine_change,
    _engine_machines,
    _engine_view,
    _latest,
    _new_assignments,
    _Specs,
    _transport,
    _waits,
    _with_deliveries,
)
from matching.snapshot import Snapshot, floor_minute

__all__ = [
    "RECOVERY_LATE_MOVE_PENALTY",
    "OrderToReplan",
    "OuterChange",
    "promise_weight",
    "recovery_improves",
    "replan_orders",
]

OuterChange = MachineDownChange | MachineUpChange
# minor units per moved step when a late order is re-optimised: a move must save an hour
RECOVERY_LATE_MOVE_PENALTY = 60 * TARDINESS_PER_MINUTE
ALONE_MIN_SECONDS = 0.25  # seconds at least for each order re-planned alone after the joint solve
# The fallback's budget, as a share of the joint solve's: both together stay within the time
# an affected order may wait for its new plan (10 s for an outage's 5 s), whatever the count.
ALONE_BUDGET_SHARE = 0.6
_clock = wallclock.monotonic  # seconds; the fallback's budget runs on it


def promise_weight(change: OuterChange, move_penalty: int) -> int:
    """Minor units per minute late in a joint re-plan after ``change``.

    A breakdown breaks plans the customers were promised: a minute late then costs more than
    a moved step, so steps move (any affected order's, any number) whenever that keeps a
    promise or shortens a delay, and only then is the move penalty the tie-breaker. Capacity
    coming back keeps ``TARDINESS_PER_MINUTE``: there a move must save real time
    (``RECOVERY_LATE_MOVE_PENALTY``), and ``recovery_improves`` decides.
    """
    if isinstance(change, MachineDownChange):
        return max(TARDINESS_PER_MINUTE, move_penalty + 1)
    return TARDINESS_PER_MINUTE


@dataclass(frozen=True)
class OrderToReplan:
    """One order of a joint re-plan: its current steps (as ``replan_assignments`` takes
    them), the promised delivery (counted with the delivery leg to ``ship_to``) and the job
    that assembles the others, if any."""

    order_id: int
    assignments: Sequence[CurrentAssignment]
    due: datetime | None = None
    ship_to: tuple[float, float] | None = None
    assembly_job: str | None = None


def replan_orders(
    orders: Sequence[OrderToReplan],
    *,
    change: OuterChange,
    now: datetime,
    snapshot: Snapshot,
    offline: Mapping[str, MachineSpec] | None = None,
    time_limit_s: float = 3.0,
    workers: int = 2,
    move_penalty: int = MOVE_PENALTY,
) -> dict[int, ReplanResult]:
    """Re-plan every order's remaining steps in one solve; results by order id.

    The rules are ``replan_assignments``'s (done and running steps pinned, a running step
    on a broken machine lost, ``move_penalty`` per moved step), over all orders at once:
    no two orders' steps share a machine's time. ``offline``: specs of the plan machines
    the snapshot leaves out (``offline_machine_ids`` of each order). When the joint solve
    finds nothing or leaves an order late, the orders are also solved one by one
    (``_one_by_one``, all of them within ``ALONE_BUDGET_SHARE`` of ``time_limit_s``) and
    the better answer is kept (``_score``).
    """
    if not orders:
        return {}
    specs = _Specs(snapshot, offline or {})
    params = SolveParams(time_limit_s=time_limit_s, workers=workers)
    joint = _solve(orders, change, now, specs, params, move_penalty)
    if len(orders) == 1 or _score(joint, orders)[:2] == (0, 0):
        return joint
    # Each order alone is a small problem: the fallback shares one budget among its solves,
    # so it never takes the joint solve's time once per order (1 s each made 12 orders 17 s).
    budget = _Budget(_clock() + ALONE_BUDGET_SHARE * time_limit_s)
    alone = _one_by_one(orders, change, now, specs, params, move_penalty, budget)
    return joint if _score(joint, orders) <= _score(alone, orders) else alone


def _one_by_one(
    orders: Sequence[OrderToReplan],
    change: OuterChange,
    now: datetime,
    specs: _Specs,
    params: SolveParams,
    move_penalty: int,
    budget: _Budget,
) -> dict[int, ReplanResult]:
    """Each order alone on the network minus the time the ones before took: first the
    orders that can still keep their promise, soonest due first, then those that cannot.

    An order late anyway goes last, so it never takes the last free time before a weekend
    from one that can still be on time; the joint solve, which weighs minutes late rather
    than promises kept and has one short time limit for every order, often lets it.
    """
    ranked = sorted(orders, key=lambda o: (o.due is None, o.due or now))
    results: dict[int, ReplanResult] = {}
    late: list[OrderToReplan] = []
    for index, order in enumerate(ranked):
        # Any order still to come may be late and solved again: its share counts twice.
        limited = budget.params(params, solves_left=2 * (len(ranked) - index) + len(late))
        result = _solve([order], change, now, specs, limited, move_penalty)[order.order_id]
        if result.ok and _late(result.delivery_at, order.due):
            late.append(order)
            continue
        results[order.order_id] = result
        specs = _taken(specs, result)
    for index, order in enumerate(late):
        limited = budget.params(params, solves_left=len(late) - index)
        result = _solve([order], change, now, specs, limited, move_penalty)[order.order_id]
        results[order.order_id] = result
        specs = _taken(specs, result)
    return {order.order_id: results[order.order_id] for order in orders}


@dataclass(frozen=True)
class _Budget:
    """The fallback's time: until ``ends`` (on ``_clock``), shared among the solves left."""

    ends: float

    def params(self, params: SolveParams, *, solves_left: int) -> SolveParams:
        """``params`` with this solve's share of the time left (``ALONE_MIN_SECONDS`` at
        least, the joint solve's limit at most)."""
        left = (self.ends - _clock()) / max(1, solves_left)
        share = min(params.time_limit_s, max(ALONE_MIN_SECONDS, left))
        return replace(params, time_limit_s=share)


def _taken(specs: _Specs, result: ReplanResult) -> _Specs:
    if not result.ok or not result.moved:
        return specs
    return replace(specs, snapshot=taking(specs.snapshot, result.moved))


def _score(
    results: Mapping[int, ReplanResult], orders: Sequence[OrderToReplan]
) -> tuple[int, int, float, int]:
    """Orders without a plan, orders late, hours late in all, steps moved: lower is better."""
    failed = late = moved = 0
    hours = 0.0
    for order in orders:
        result = results[order.order_id]
        if not result.ok:
            failed += 1
            continue
        moved += len(result.moved)
        if _late(result.delivery_at, order.due):
            late += 1
            hours += (result.delivery_at - order.due).total_seconds() / 3600  # type: ignore[operator]
    return failed, late, round(hours, 2), moved


def recovery_improves(result: ReplanResult, *, due: datetime | None, move_penalty: int) -> bool:
    """Whether a re-optimised plan is worth moving steps for: it makes a late order on time,
    or (never making it late) costs less by more than ``move_penalty`` per moved step."""
    if not result.ok or not result.moved:
        return False
    late_before = _late(result.delivery_before, due)
    late_after = _late(result.delivery_at, due)
    if late_before and not late_after:
        return True
    if late_after and not late_before:
        return False
    if result.cost_minor is None or result.cost_before_minor is None:
        return False
    saved = result.cost_before_minor - result.cost_minor
    return saved > move_penalty * len(result.moved)


def taking(snapshot: Snapshot, assignments: Sequence[NewAssignment]) -> Snapshot:
    """The snapshot without the machine time of ``assignments`` (offered to an order)."""
    busy: dict[str, list[tuple[int, int]]] = {}
    for a in assignments:
        end = math.ceil((a.end - snapshot.origin).total_seconds() / 60)
        busy.setdefault(str(a.machine_id), []).append((snapshot.minute(a.start), end))
    if not busy:
        return snapshot
    machines = tuple(
        replace(m, windows=_subtract(m.windows or (), busy[m.id])) if m.id in busy else m
        for m in snapshot.machines
    )
    return replace(snapshot, machines=machines)


def _late(delivery: datetime | None, due: datetime | None) -> bool:
    return delivery is not None and due is not None and delivery > due


def _subtract(
    windows: Sequence[tuple[int, int]], busy: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in windows:
        pieces = [(lo, hi)]
        for b_lo, b_hi in busy:
            pieces = [
                piece
                for p_lo, p_hi in pieces
                for piece in ((p_lo, min(p_hi, b_lo)), (max(p_lo, b_hi), p_hi))
                if piece[0] < piece[1]
            ]
        out.extend(pieces)
    return tuple(out)


# -- one solve over several orders --------------------------------------------------------------


@dataclass
class _Joint:
    """The orders' steps under engine job ids, and which order and job key each id is."""

    jobs: dict[str, list[CurrentAssignment]]
    waits: dict[str, set[str]]
    due: dict[str, datetime]
    owner: dict[str, int]
    names: dict[str, str]


def _joint(orders: Sequence[OrderToReplan]) -> _Joint:
    """Namespaced job ids when there are several orders; a single order keeps its keys, so
    its problem is exactly ``replan_assignments``'s."""
    joint = _Joint({}, {}, {}, {}, {})
    for order in orders:

        def key(job_key: str, order: OrderToReplan = order) -> str:
            return f"{order.order_id}/{job_key}" if len(orders) > 1 else job_key

        own: dict[str, list[CurrentAssignment]] = {}
        for a in _latest(order.assignments):
            own.setdefault(a.job_key, []).append(a)
        for job_key, steps in own.items():
            engine_id = key(job_key)
            joint.jobs[engine_id] = [
                replace(a, job_key=engine_id, waits_for=tuple(key(w) for w in a.waits_for))
                for a in steps
            ]
            joint.owner[engine_id] = order.order_id
            joint.names[engine_id] = job_key
            if order.due is not None:
                joint.due[engine_id] = order.due
        for job_key, waited in _waits(own, order.assembly_job).items():
            joint.waits[key(job_key)] = {key(w) for w in waited}
    return joint


def _solve(
    orders: Sequence[OrderToReplan],
    change: OuterChange,
    now: datetime,
    specs: _Specs,
    params: SolveParams,
    move_penalty: int,
) -> dict[int, ReplanResult]:
    snapshot = specs.snapshot
    now = floor_minute(now)
    joint = _joint(orders)
    view = _engine_view(joint.jobs, change, specs, joint.due, joint.waits, now=snapshot.minute(now))
    if change.machine_id is not None:
        view.used.add(str(change.machine_id))
    machines, places = _engine_machines(view, specs)
    engine_jobs = view.jobs
    legs: dict[tuple[str, str], Leg] = {}
    if snapshot.carriers:
        legs = _transport(places, snapshot.carriers)
        engine_jobs = _delivered(engine_jobs, orders, joint, places, snapshot)
    problem = Problem(
        jobs=tuple(engine_jobs),
        machines=tuple(machines),
        transport=Transport(legs),
        objective=Objective(
            cost=1, makespan=1, tardiness=promise_weight(change, move_penalty) if joint.due else 0
        ),
        name="orders " + ", ".join(str(o.order_id) for o in orders),
    )
    result = replan(
        problem,
        Plan("feasible", "none", tuple(view.current)),
        _engine_change(change, snapshot),
        pinned=view.pinned,
        now=snapshot.minute(now),
        params=params,
        move_penalty=move_penalty,
    )
    plan = result.plan
    if not plan.has_schedule:
        reasons = tuple(i.message for i in plan.issues) or (
            "No new plan was found in the time allowed; please try again.",
        )
        failed = ReplanResult(plan.status, (), (), reasons, " ".join(reasons), plan)
        return {order.order_id: failed for order in orders}
    every = [a for steps in joint.jobs.values() for a in steps]
    new = _new_assignments(result, every, specs, joint.names)
    owners = [joint.owner[a.job] for a in plan.assignments]  # in the order of ``new``
    workshop = _workshop_of(specs)
    costs = {(a.job_key, a.step_key): a.cost_minor for a in every}
    after = {(a.job, a.step): (a.machine, a.end, _cost(problem, a)) for a in plan.assignments}
    before = {(a.job, a.step): (a.machine, a.end, costs[(a.job, a.step)]) for a in view.current}
    out: dict[int, ReplanResult] = {}
    for order in orders:
        mine = tuple(n for n, owner in zip(new, owners, strict=True) if owner == order.order_id)
        moved = tuple(n for n in mine if n.moved)
        routings = [j for j in problem.jobs if joint.owner[j.id] == order.order_id]
        cost_after, delivery_after = _totals(problem, routings, after, workshop)
        cost_before, delivery_before = _totals(problem, routings, before, workshop)
        out[order.order_id] = ReplanResult(
            plan.status,
            mine,
            moved,
            (),
            " ".join(n.reason for n in moved) or "Nothing had to move.",
            plan,
            delivery_at=_moment(snapshot, delivery_after),
            delivery_before=_moment(snapshot, delivery_before),
            cost_minor=cost_after,
            cost_before_minor=cost_before,
        )
    return out


def _delivered(
    jobs: Sequence[Routing],
    orders: Sequence[OrderToReplan],
    joint: _Joint,
    places: Mapping[str, tuple[float, float]],
    snapshot: Snapshot,
) -> list[Routing]:
    """Each order's jobs with the delivery legs to its own customer."""
    by_id = {j.id: j for j in jobs}
    for order in orders:
        if order.ship_to is None:
            continue
        own = [j for j in jobs if joint.owner[j.id] == order.order_id]
        for routing in _with_deliveries(own, joint.waits, places, order.ship_to, snapshot.carriers):
            by_id[routing.id] = routing
    return [by_id[j.id] for j in jobs]


def _cost(problem: Problem, a: Assignment) -> int:
    step = next(s for s in problem.job(a.job).steps if s.id == a.step)
    return next(x.cost for x in step.alternatives if x.machine == a.machine)


def _workshop_of(specs: _Specs) -> Callable[[str], str | None]:
    def workshop(machine_id: str) -> str | None:
        spec = specs.get(machine_id)
        return spec.workshop if spec else None

    return workshop


def _totals(
    problem: Problem,
    routings: Sequence[Routing],
    steps: Mapping[tuple[str, str], tuple[str, int, int]],
    workshop: Callable[[str], str | None],
) -> tuple[int, int | None]:
    """Cost (steps, legs between workshops, delivery) and delivery minute of one order's
    jobs, for ``steps[(job, step)] = (machine, end, cost)``."""
    cost = 0
    delivery: int | None = None
    first: dict[str, str | None] = {}
    last: dict[str, tuple[str | None, int]] = {}
    for job in routings:
        previous: str | None = None
        for index, step in enumerate(job.steps):
            machine, end, step_cost = steps[(job.id, step.id)]
            here = workshop(machine)
            cost += step_cost
            if previous and here:
                cost += problem.transport.leg(previous, here).cost
            if index == 0:
                first[job.id] = here
            previous = here
            last[job.id] = (here, end)
    waited = {w for job in routings for w in job.waits_for}
    for job in routings:
        if job.id not in last:
            continue
        for w in job.waits_for:
            origin, here = last.get(w, (None, 0))[0], first.get(job.id)
            if origin and here:
                cost += problem.transport.leg(origin, here).cost
        here, end = last[job.id]
        leg = job.delivery.get(here) if here else None
        if leg is not None:
            cost += leg.cost
        if job.id not in waited:
            arrival = end + (leg.time if leg else 0)
            delivery = arrival if delivery is None else max(delivery, arrival)
    return cost, delivery


def _moment(snapshot: Snapshot, minute: int | None) -> datetime | None:
    return None if minute is None else snapshot.at(minute)
