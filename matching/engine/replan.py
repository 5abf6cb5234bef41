"""Re-planning after a change: a machine breaks down, a workshop declines, a step runs late.

The change is applied to the problem (a booking that blocks the broken machine, the declining
workshop's alternatives removed, a longer duration for the late step); steps that are done or
running stay pinned; the rest is re-solved warm-started from the current plan, with a penalty
for every step that leaves its current machine or start, so that only what must move moves.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from matching.engine.compiled import FOREVER, Compiled
from matching.engine.problem import (
    Alternative,
    Assignment,
    Infeasibility,
    Plan,
    Problem,
    Routing,
    SolveParams,
    Step,
)
from matching.engine.solver import Warmstart, solve_compiled


@dataclass(frozen=True)
class MachineDown:
    """``machine`` cannot run from minute ``at`` until ``until`` (``None``: until repaired).

    A step running on it at ``at`` is lost and must be redone, so it is unpinned.
    """

    machine: str
    at: int
    until: int | None = None


@dataclass(frozen=True)
class StepDeclined:
    """The workshop (by default: the one currently assigned) declined this step."""

    job: str
    step: str
    workshop: str | None = None


@dataclass(frozen=True)
class StepLate:
    """A running step will end at minute ``end`` instead of as planned."""

    job: str
    step: str
    end: int


Change = MachineDown | StepDeclined | StepLate


@dataclass(frozen=True)
class Move:
    """A step whose assignment changed (``before`` is ``None`` if it had none)."""

    job: str
    step: str
    before: Assignment | None
    after: Assignment


@dataclass(frozen=True)
class Replan:
    """The new plan, the changed problem it solves, and the steps that moved."""

    plan: Plan
    problem: Problem
    moves: tuple[Move, ...]


def replan(
    problem: Problem,
    current: Plan,
    change: Change | None,
    *,
    pinned: Collection[tuple[str, str]] = (),
    now: int = 0,
    params: SolveParams | None = None,
    move_penalty: int = 1,
) -> Replan:
    """Re-plan after ``change``; steps in ``pinned`` (``(job, step)``, done or running) stay.

    ``change`` None: nothing broke (capacity came back); the plan is re-optimised as it is.

    No step that is not pinned starts before ``now``. ``move_penalty`` is added to the
    objective (in its units) for each step that leaves its current machine or start.
    """
    params = params or SolveParams()
    pinned_keys = set(pinned)
    current_by_key = current.by_step()
    changed = _apply(problem, current_by_key, change, pinned_keys)
    compiled = Compiled(changed)
    if compiled.issues:
        failed = Plan("infeasible", "none", issues=tuple(compiled.issues))
        return Replan(failed, changed, ())
    for op in compiled.ops:
        if (op.job_id, op.step_id) not in pinned_keys:
            op.release = max(op.release, now)
    fixed: dict[int, tuple[int, int]] = {}
    reference: dict[int, tuple[int, int]] = {}
    for op in compiled.ops:
        key = (op.job_id, op.step_id)
        a = current_by_key.get(key)
        if a is None:
            continue
        machine = compiled.machine_index.get(a.machine)
        ai = next((k for k, alt in enumerate(op.alts) if alt.machine == machine), None)
        if ai is None:
            if key in pinned_keys:
                issue = Infeasibility(
                    "pinned_step_impossible",
                    f"Step {op.step_id} of job {op.job_id} is pinned to {a.machine}, "
                    "which can no longer run it.",
                    op.job_id,
                    op.step_id,
                )
                return Replan(Plan("infeasible", "none", issues=(issue,)), changed, ())
            continue
        if key in pinned_keys:
            fixed[op.index] = (ai, a.start)
        elif a.start >= now:
            reference[op.index] = (ai, a.start)
    plan = solve_compiled(
        compiled,
        replace(params, hint=None),
        Warmstart(fixed=fixed, reference=reference, move_penalty=move_penalty),
    )
    moves = []
    for a in plan.assignments:
        before = current_by_key.get((a.job, a.step))
        if before != a:
            moves.append(Move(a.job, a.step, before, a))
    return Replan(plan, changed, tuple(moves))


def _apply(
    problem: Problem,
    current: dict[tuple[str, str], Assignment],
    change: Change | None,
    pinned: set[tuple[str, str]],
) -> Problem:
    """The problem as it is after ``change``; may unpin a step the change destroyed."""
    if change is None:
        return problem
    if isinstance(change, MachineDown):
        end = FOREVER if change.until is None else change.until
        machines = tuple(
            replace(m, booked=(*m.booked, (change.at, end))) if m.id == change.machine else m
            for m in problem.machines
        )
        for key, a in current.items():
            if a.machine == change.machine and a.end > change.at and a.start < end:
                pinned.discard(key)
        return replace(problem, machines=machines)
    if isinstance(change, StepDeclined):
        assigned = current.get((change.job, change.step))
        workshop = change.workshop
        if workshop is None:
            if assigned is None:
                return problem
            workshop = problem.workshop_of(assigned.machine)
        pinned.discard((change.job, change.step))

        def keep(alt: Alternative) -> bool:
            try:
                return problem.workshop_of(alt.machine) != workshop
            except KeyError:
                return True

        return _edit_step(problem, change.job, change.step, keep=keep)
    assigned = current.get((change.job, change.step))
    if assigned is None:
        return problem
    duration = max(0, change.end - assigned.start)
    return _edit_step(
        problem,
        change.job,
        change.step,
        duration={assigned.machine: duration},
    )


def _edit_step(
    problem: Problem,
    job_id: str,
    step_id: str,
    keep: object = None,
    duration: dict[str, int] | None = None,
) -> Problem:
    """A copy of ``problem`` with one step's alternatives filtered or re-timed."""

    def edit(step: Step) -> Step:
        alts = tuple(a for a in step.alternatives if keep is None or keep(a))  # type: ignore[operator]
        if duration:
            alts = tuple(
                replace(a, duration=duration[a.machine]) if a.machine in duration else a
                for a in alts
            )
        return replace(step, alternatives=alts)

    def edit_job(job: Routing) -> Routing:
        if job.id != job_id:
            return job
        return replace(job, steps=tuple(edit(s) if s.id == step_id else s for s in job.steps))

    return replace(problem, jobs=tuple(edit_job(j) for j in problem.jobs))
