"""Neighbourhood search by sub-problems, for network-sized problems with any objective.

Cloning the whole CP-SAT model for each neighbourhood (``portfolio.py``) works on the
benchmark instances, but on the marketplace problem (456 steps, 15 k variables) CP-SAT's
presolve of the clone takes longer than a neighbourhood's second. Here a neighbourhood is
a small *problem* of its own instead:

* a few orders are freed (an order is a connected group of jobs through ``waits_for``, so
  no precedence crosses the border), everything else stays as in the incumbent and becomes
  ``booked`` time on its machines;
* when the objective weighs the makespan, a one-minute dummy job on its own machine,
  released one minute before the fixed part's latest completion, makes the sub-problem's
  makespan ``max(fixed, free)``: the sub-objective is then the whole objective minus a
  constant, so a better sub-plan is a better plan;
* the machines' calendars are clipped to the time the freed steps can use (from their
  release to a day after their current end), which keeps the model small;
* the sub-problem is solved by CP-SAT (hinted with the incumbent's part, so never worse)
  for ``STEP_S`` seconds, merged back, validated, and kept when no worse.

Neighbourhoods, in turn: random orders; the orders on a few random machines; the orders
with a step starting in a random time window; the latest orders and random others.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace

from matching.engine.compiled import Compiled
from matching.engine.greedy import Choice, plan_from_choice
from matching.engine.problem import (
    Alternative,
    Assignment,
    Plan,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
)
from matching.engine.validate import validate

STEP_S = 2.0
TARGET_STEPS = 30  # steps per neighbourhood, about what CP-SAT re-optimises in a second
DUMMY = "__fixed_part__"
SLACK = 24 * 60  # minutes of room after the freed steps' current end


def orders(compiled: Compiled) -> list[list[int]]:
    """Jobs grouped into orders: connected components of the ``waits_for`` edges."""
    parent = list(range(len(compiled.problem.jobs)))

    def find(j: int) -> int:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for j, job in enumerate(compiled.problem.jobs):
        for other in job.waits_for:
            k = compiled.job_index.get(other)
            if k is not None:
                parent[find(j)] = find(k)
    groups: dict[int, list[int]] = {}
    for j in range(len(parent)):
        groups.setdefault(find(j), []).append(j)
    return list(groups.values())


def improve_by_subproblems(
    compiled: Compiled,
    choice: Choice,
    params: SolveParams,
    deadline: float,
    stop: Callable[[], bool] = lambda: False,
) -> Choice:
    """A schedule no worse than ``choice`` for the whole objective, found until ``deadline``.

    ``stop`` is polled between neighbourhoods (the solver stops when its full model is done).
    """
    from matching.engine.solver import solve  # the sub-problems use the plain solver

    rng = random.Random(params.seed)
    groups = orders(compiled)
    if len(groups) < 4:
        return choice
    problem = compiled.problem
    best = choice
    best_value = compiled.totals(best).objective
    steps_per_group = len(compiled.ops) / len(groups)
    size = max(2, round(TARGET_STEPS / max(1.0, steps_per_group)))
    step = 0
    while not stop():
        left = deadline - time.perf_counter()
        if left < 0.5:
            break
        step += 1
        free = _pick(compiled, best, groups, rng, step, size)
        if not any(compiled.job_ops[j] for j in free):
            continue  # e.g. no order on the machines drawn
        sub, hint = _subproblem(compiled, best, free)
        plan = solve(
            sub,
            SolveParams(
                time_limit_s=min(STEP_S, left - 0.2),
                workers=1,
                seed=params.seed + step,
                hint=hint,
                engine="previous",
            ),
        )
        if not plan.has_schedule:
            continue
        merged = _merge(compiled, best, plan)
        if merged is None:
            continue
        value = compiled.totals(merged).objective
        if value <= best_value:
            candidate = plan_from_choice(compiled, merged, "feasible", "cp-sat", 0.0)
            if not validate(problem, candidate):
                best, best_value = merged, value
    return best


def _pick(
    c: Compiled, best: Choice, groups: list[list[int]], rng: random.Random, step: int, size: int
) -> set[int]:
    """Jobs of the orders freed in this neighbourhood."""
    kind = step % 4
    chosen: list[list[int]] = []
    if kind == 0:
        chosen = rng.sample(groups, min(size, len(groups)))
    elif kind == 1:
        machines = set(rng.sample(range(len(c.machine_ids)), max(1, len(c.machine_ids) // 20)))
        chosen = [
            g
            for g in groups
            if any(c.ops[i].alts[best[i][0]].machine in machines for j in g for i in c.job_ops[j])
        ]
    elif kind == 2:
        starts = sorted(s for _, s in best)
        at = starts[rng.randrange(len(starts))]
        near = sorted(
            groups, key=lambda g: min(abs(best[i][1] - at) for j in g for i in c.job_ops[j])
        )
        chosen = near[:size]
    else:
        latest = sorted(groups, key=lambda g: -max(_completion(c, best, j) for j in g))
        chosen = latest[: max(1, size // 2)] + rng.sample(groups, max(1, size // 2))
    if len(chosen) > size:
        chosen = rng.sample(chosen, size)
    return {j for g in chosen for j in g}


def _completion(c: Compiled, choice: Choice, j: int) -> int:
    ops = c.job_ops[j]
    if not ops:
        return 0
    last = c.ops[ops[-1]]
    ai, start = choice[last.index]
    a = last.alts[ai]
    return start + a.duration + c.delivery(last, a.machine).time


def _subproblem(c: Compiled, best: Choice, free: set[int]) -> tuple[Problem, Plan]:
    """The free jobs on machines booked by everything else, and the incumbent's part as hint."""
    problem = c.problem
    extra: dict[int, list[tuple[int, int]]] = {}
    fixed_end = 0
    for j in range(len(problem.jobs)):
        if j in free:
            continue
        for i in c.job_ops[j]:
            ai, start = best[i]
            a = c.ops[i].alts[ai]
            extra.setdefault(a.machine, []).append((start, start + a.duration))
        fixed_end = max(fixed_end, _completion(c, best, j))
    jobs = [problem.jobs[j] for j in sorted(free)]
    used = sorted({a.machine for j in free for i in c.job_ops[j] for a in c.ops[i].alts})
    # Only the stretch of time the freed steps can use: from their earliest release to a day
    # after the incumbent's last of them. Calendars clipped to it keep the no-overlaps small
    # (unclipped, presolve alone took longer than the whole step).
    free_ops = [i for j in free for i in c.job_ops[j]]
    lo = min(c.ops[i].release for i in free_ops)
    hi = max(best[i][1] + c.ops[i].alts[best[i][0]].duration for i in free_ops) + SLACK
    machines = []
    for m in used:
        machine = problem.machines[m]
        windows = machine.windows if machine.windows is not None else ((0, hi),)
        booked = machine.booked + tuple(extra.get(m, ()))
        machines.append(
            replace(
                machine,
                windows=tuple((s, min(e, hi)) for s, e in windows if s < hi and e > lo),
                booked=tuple((s, e) for s, e in booked if s < hi and e > lo),
            )
        )
    hint = [a for a in c.assignments(best) if c.job_index[a.job] in free]
    if problem.objective.makespan and fixed_end > 0:
        machines.append(Resource(DUMMY, workshop=DUMMY))
        step = Step(DUMMY, (Alternative(DUMMY, 1),))
        jobs.append(Routing(DUMMY, (step,), release=fixed_end - 1))
        hint.append(Assignment(DUMMY, DUMMY, DUMMY, fixed_end - 1, fixed_end))
    sub = Problem(
        jobs=tuple(jobs),
        machines=tuple(machines),
        transport=problem.transport,
        objective=problem.objective,
        name=f"{problem.name} neighbourhood",
    )
    return sub, Plan("feasible", "cp-sat", assignments=tuple(hint))


def _merge(c: Compiled, best: Choice, plan: Plan) -> Choice | None:
    """The incumbent with the sub-plan's steps put in; None if a step is missing."""
    merged = list(best)
    for a in plan.assignments:
        if a.job == DUMMY:
            continue
        j = c.job_index.get(a.job)
        if j is None:
            return None
        for i in c.job_ops[j]:
            op = c.ops[i]
            if op.step_id != a.step:
                continue
            ai = next(
                (k for k, alt in enumerate(op.alts) if c.machine_ids[alt.machine] == a.machine),
                None,
            )
            if ai is None:
                return None
            merged[i] = (ai, a.start)
    return merged
