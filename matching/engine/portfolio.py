"""What runs after CP-SAT's first solve: neighbourhood re-solves and tabu bursts, by turns.

``improve_incumbent`` takes the whole model's best schedule and spends the rest of the budget
on two kinds of step, keeping a result whenever it is no worse than the incumbent:

* **LNS** (any objective): clone the built model (``CpModel.clone()``, nothing rebuilt in
  Python), fix the machine of every step outside a random neighbourhood to its incumbent
  machine, cap the objective at the incumbent's, hint the incumbent (complete, so feasible)
  and give CP-SAT ``LNS_STEP_S`` seconds. Neighbourhoods, in turn: the steps of 15-35 % of
  the jobs, the steps on 15-35 % of the machines, the steps starting in a random window of
  15-35 % of the plan's length. Start times stay free everywhere.
* **tabu** (makespan problems the tabu search covers, ``tabu.tabu_applies``): the compiled
  tabu search from the incumbent with a fresh seed, for ``TABU_BURST_S``; one thread per
  worker, best kept. It makes many cheap moves where LNS makes few exact ones.

It stops at the deadline or when the incumbent meets the proven lower bound.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from matching.engine.greedy import Choice
from matching.engine.model import CpSatModel, configure
from matching.engine.problem import SolveParams

if TYPE_CHECKING:
    from matching.engine.compiled import Compiled
    from matching.engine.tabu import TabuState

LNS_STEP_S = 1.0
TABU_BURST_S = 1.0
TABU_EVERY = 3  # one tabu burst after every two neighbourhood solves


def tabu_portfolio(
    compiled: Compiled,
    choice: Choice,
    params: SolveParams,
    seconds: float,
    target: int,
    state: TabuState | None = None,
    salt: int = 0,
) -> Choice:
    """The best of ``params.workers`` tabu searches (seeds ``seed + salt + k``) from ``choice``.

    In ``deterministic`` mode the searches run a fixed number of iterations (proportional to
    ``seconds``) instead of watching the clock, so the answer depends on the seed only.
    """
    from matching.engine.tabu import build, improve, makespan_of  # numpy and numba: only when used

    st = state or build(compiled)
    workers = params.threads
    iterations = None
    limit: float | None = seconds
    if params.deterministic:
        iterations = max(1_000, int(seconds * 20_000))
        limit = None

    def run(k: int) -> Choice:
        return improve(
            compiled,
            choice,
            seed=params.seed + salt + k,
            time_limit_s=limit,
            iterations=iterations,
            target=target,
            state=st,
        )

    if workers == 1:
        results = [run(0)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # the kernel releases the GIL
            results = list(pool.map(run, range(workers)))
    values = [makespan_of(compiled, c) for c in results]
    return results[values.index(min(values))]  # ties: the lowest seed


def improve_incumbent(
    model: CpSatModel,
    params: SolveParams,
    choice: Choice,
    bound: int,
    deadline: float,
    use_tabu: bool,
) -> Choice:
    """Alternate LNS solves and tabu bursts on the incumbent until ``deadline`` or ``bound``."""
    from ortools.sat.python import cp_model

    from matching.engine.tabu import build  # numpy and numba: only when used

    c = model.c
    rng = random.Random(params.seed)
    best = choice
    best_value = c.totals(best).objective
    state = build(c) if use_tabu else None
    weight = c.problem.objective.makespan
    n_jobs = len(c.job_ops)
    n_machines = len(c.machine_ids)
    step = 0
    while best_value > bound:
        left = deadline - time.perf_counter()
        if left < 0.3:
            break
        step += 1
        if use_tabu and step % TABU_EVERY == 0:
            candidate = tabu_portfolio(
                c, best, params, min(TABU_BURST_S, left), bound // max(1, weight), state, step
            )
            value = c.totals(candidate).objective
            if value <= best_value:
                best, best_value = candidate, value
            continue
        free = _neighbourhood(c, best, rng, step, n_jobs, n_machines)
        sub = model.model.clone()
        for op in c.ops:
            if free[op.index]:
                continue
            ai = best[op.index][0]
            for k, p in enumerate(model.presence[op.index]):
                if not isinstance(p, int):
                    sub.add(p == int(k == ai))
        sub.add(model.objective <= best_value)
        model.add_hint(best, sub)
        solver = cp_model.CpSolver()
        configure(
            solver.parameters,
            replace(params, seed=params.seed + step),
            min(LNS_STEP_S, left),
            repair=False,
            large=len(sub.proto.variables) > 5_000,
        )
        status = solver.solve(sub)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        candidate = model.read(solver)
        value = c.totals(candidate).objective
        if value <= best_value:
            best, best_value = candidate, value
    return best


def _neighbourhood(
    c: Compiled, best: Choice, rng: random.Random, step: int, n_jobs: int, n_machines: int
) -> list[bool]:
    """Which ops may change machine: by jobs, by machines or by time window, in turn."""
    share = rng.uniform(0.15, 0.35)
    kind = step % 3
    if kind == 0:
        jobs = set(rng.sample(range(n_jobs), max(1, round(share * n_jobs))))
        return [op.job in jobs for op in c.ops]
    if kind == 1:
        machines = set(
            rng.sample(range(n_machines), max(2, min(n_machines, round(share * n_machines))))
        )
        return [op.alts[best[op.index][0]].machine in machines for op in c.ops]
    length = max(1, max(s for _, s in best) + 1)
    width = max(1, round(share * length))
    begin = rng.randrange(0, max(1, length - width + 1))
    return [begin <= best[op.index][1] < begin + width for op in c.ops]
