"""CP-SAT model of the marketplace scheduling problem (and of the classical FJSP).

Model (see docs/matching-engine.md for the reasoning):

* one start variable per step; one optional fixed-size interval per (step, alternative)
  sharing that start; ``add_exactly_one`` over the presences; the step's end is its start
  plus the chosen duration;
* one no-overlap per machine over its intervals plus fixed intervals for the time outside
  its windows and for bookings;
* per step, one literal per workshop it may run in; precedence ``start >= end(pred)``
  always, and ``start >= end(pred) + leg`` enforced on the pair of workshop literals when the
  leg takes time (pairs of workshops, not of machines, so they grow with workshops only);
* completion = end of last step + delivery leg; tardiness, hard deadlines, makespan, cost
  and CO2 as linear terms of one integer objective;
* a complete hint from the greedy plan (or a given plan) and, for makespan objectives, its
  makespan as the horizon;
* for makespan-only budgets above ``LNS_AFTER_S``: the whole model for part of the budget,
  then neighbourhood solves with most machine assignments fixed (``portfolio.py``);
* where it applies, a compiled tabu search first (``tabu.py``), whose schedule becomes the
  hint and the horizon, and again in bursts between the neighbourhood solves; the lower
  bounds of ``bounds.py`` as ``makespan >= bound``, so reaching it proves optimality.

The answer is checked by ``validate`` before it is returned; when CP-SAT finds nothing in
time, the greedy plan is returned instead.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from matching.engine.bounds import makespan_lower_bound, objective_lower_bound
from matching.engine.compiled import FOREVER, Compiled, earliest_slot
from matching.engine.greedy import cheapest_routing_choice, greedy_choice, plan_from_choice
from matching.engine.model import CpSatModel, Warmstart, configure
from matching.engine.portfolio import improve_incumbent, tabu_portfolio
from matching.engine.problem import (
    Infeasibility,
    Objective,
    Plan,
    Problem,
    Routing,
    SolveParams,
)
from matching.engine.subproblem import improve_by_subproblems
from matching.engine.tabu_scope import tabu_applies
from matching.engine.validate import validate

LARGE_MODEL = 5_000  # variables; above it presolve probing costs more than it gains
# Makespan-only problems with a budget above LNS_AFTER_S seconds: the whole model runs for
# max(LNS_AFTER_S, LNS_FIRST_SHARE x budget), then the rest goes to small neighbourhood solves
# of LNS_STEP_S seconds each (see portfolio.py and docs/matching-engine.md).
LNS_AFTER_S = 10.0
LNS_FIRST_SHARE = 0.3
# The portfolio (params.engine == "portfolio"): the tabu search first (where it applies) for
# TABU_FIRST_SHARE of the budget (at most TABU_FIRST_MAX_S), the whole CP-SAT model until
# FIRST_SHARE of it, then LNS solves and tabu bursts on the incumbent (portfolio.py) for
# budgets of LNS_MIN_S and more.
TABU_FIRST_SHARE = 0.2
TABU_FIRST_MAX_S = 2.0
FIRST_SHARE = 0.5
LNS_MIN_S = 4.0
REDUNDANT_CUMULATIVES = True

__all__ = ["Warmstart", "solve", "solve_compiled"]


def solve(problem: Problem, params: SolveParams | None = None) -> Plan:
    """Best plan found for ``problem`` within ``params``; never an invalid schedule.

    Input errors (a step no machine can do, unknown ids, circular waits) give an
    ``infeasible`` plan at once. Hard deadlines that cannot all be met give an ``infeasible``
    plan whose issues carry, per late job, the earliest completion found without deadlines.
    """
    return solve_compiled(Compiled(problem), params or SolveParams())


def solve_compiled(
    compiled: Compiled, params: SolveParams, warmstart: Warmstart | None = None
) -> Plan:
    """``solve`` on a compiled problem, with optional re-planning inputs."""
    from ortools.sat.python import cp_model  # OR-Tools loads pandas: 1 s, only when solving

    started = time.perf_counter()
    if compiled.issues:
        return Plan("infeasible", "none", issues=tuple(compiled.issues))
    problem = compiled.problem
    stranded = _stranded_steps(compiled, warmstart)
    if stranded:
        return Plan("infeasible", "none", issues=tuple(stranded))
    fixed = warmstart.fixed if warmstart else None
    reference = warmstart.reference if warmstart else None
    fallback = greedy_choice(compiled, fixed=fixed, reference=reference)
    if fallback is None and reference is not None:
        fallback = greedy_choice(compiled, fixed=fixed)
    hint = fallback
    if params.hint is not None:
        given = compiled.choice_from_assignments(params.hint.assignments)
        if given is not None:
            hint = given
    best_plan: Plan | None = None  # the best valid plan so far, returned if CP-SAT fails
    if fallback is not None:
        candidate = plan_from_choice(compiled, fallback, "feasible", "greedy", 0.0)
        if not validate(problem, candidate):
            best_plan = candidate
    if params.hint is not None and hint is not fallback and hint is not None:
        # a valid given plan is an answer too: the solve never returns anything worse
        candidate = plan_from_choice(compiled, hint, "feasible", params.hint.solver, 0.0)
        if not validate(problem, candidate) and (
            best_plan is None or (candidate.objective or 0) < (best_plan.objective or 0)
        ):
            best_plan = candidate
    if not ops_present(compiled):
        return plan_from_choice(compiled, [], "optimal", "greedy", time.perf_counter() - started, 0)
    objective = problem.objective
    portfolio = params.engine == "portfolio" and warmstart is None
    makespan_bound = makespan_lower_bound(compiled) if portfolio else 0
    # proven bounds (bounds.py): on the makespan, for the model; on the weighted objective
    own_bound = None
    if portfolio:
        own_bound = objective_lower_bound(compiled, makespan_bound)
    use_tabu = portfolio and tabu_applies(compiled)
    if portfolio and (objective.cost or objective.co2) and params.hint is None:
        cheap = cheapest_routing_choice(compiled)
        candidate = plan_from_choice(compiled, cheap, "feasible", "greedy", 0.0) if cheap else None
        if (
            candidate is not None
            and not validate(problem, candidate)
            and (best_plan is None or (candidate.objective or 0) < (best_plan.objective or 0))
        ):
            hint, best_plan = cheap, candidate
    if use_tabu and hint is not None:
        seconds = min(TABU_FIRST_MAX_S, TABU_FIRST_SHARE * params.time_limit_s)
        improved = tabu_portfolio(compiled, hint, params, seconds, makespan_bound)
        candidate = plan_from_choice(compiled, improved, "feasible", "tabu", 0.0)
        if not validate(problem, candidate):
            hint = improved
            if best_plan is None or (candidate.objective or 0) <= (best_plan.objective or 0):
                best_plan = candidate
            if own_bound is not None and candidate.objective == own_bound:
                return replace(
                    candidate,
                    status="optimal",
                    lower_bound=own_bound,
                    solve_time_s=time.perf_counter() - started,
                )
    spent = time.perf_counter() - started >= params.time_limit_s
    if best_plan is not None and spent and not params.deterministic:
        # the budget went on the greedy and tabu plans: building a CP-SAT model of a large
        # instance now would overrun it by seconds (deterministic runs ignore the clock)
        return replace(best_plan, lower_bound=own_bound, solve_time_s=time.perf_counter() - started)
    horizon = compiled.safe_horizon()
    if objective.is_makespan_only() and best_plan is not None and warmstart is None:
        horizon = min(horizon, best_plan.makespan)
    if warmstart is not None:
        pinned = list(warmstart.fixed.items()) + list(warmstart.reference.items())
        horizon = max([horizon] + [s + compiled.ops[i].alts[ai].duration for i, (ai, s) in pinned])
    model = CpSatModel(
        compiled,
        horizon,
        warmstart,
        makespan_bound=makespan_bound,
        redundant=portfolio and objective.is_makespan_only() and REDUNDANT_CUMULATIVES,
    )
    if hint is not None:
        model.add_hint(hint)
    solver = cp_model.CpSolver()
    remaining = params.time_limit_s - (time.perf_counter() - started)
    large = len(model.model.proto.variables) > LARGE_MODEL
    # The hint is the greedy repair of the current plan, feasible for the changed problem, so
    # CP-SAT's repair_hint is not needed (with 2 workers it aborted CP-SAT 9.15 with
    # "Check failed: heuristics.fixed_search != nullptr").
    configure(solver.parameters, params, max(remaining, 0.05), repair=False, large=large)
    if portfolio:
        lns = not params.deterministic and params.time_limit_s >= LNS_MIN_S
        first = FIRST_SHARE * params.time_limit_s
    else:  # the previous engine: LNS for long makespan runs only
        lns = (
            warmstart is None
            and not params.deterministic
            and objective.is_makespan_only()
            and params.time_limit_s > LNS_AFTER_S
        )
        first = max(LNS_AFTER_S, LNS_FIRST_SHARE * params.time_limit_s)
    if lns:
        # Phase 1: the whole model for a share of the budget; phase 2 (below): small LNS
        # solves and tabu bursts on the incumbent (portfolio.py).
        solver.parameters.max_time_in_seconds = max(0.05, first - (time.perf_counter() - started))
    if portfolio and lns and not use_tabu and hint is not None and len(compiled.job_ops) >= 8:
        # the whole model on workers - 1 threads for the bound (and its own solutions), and
        # sub-problem neighbourhoods on the other thread, together until the deadline
        solver.parameters.num_workers = max(1, params.threads - 1)
        solver.parameters.max_time_in_seconds = max(0.05, remaining)
        with ThreadPoolExecutor(max_workers=1) as pool:  # CP-SAT releases the GIL
            running = pool.submit(solver.solve, model.model)
            improved = improve_by_subproblems(
                compiled, hint, params, started + params.time_limit_s, stop=running.done
            )
            status = running.result()
        lns = False
        candidate = plan_from_choice(compiled, improved, "feasible", "cp-sat", 0.0)
        if not validate(problem, candidate) and (
            best_plan is None or (candidate.objective or 0) < (best_plan.objective or 0)
        ):
            best_plan = candidate
    else:
        status = solver.solve(model.model)
    deadline = started + params.time_limit_s
    if (
        status == cp_model.UNKNOWN
        and lns
        and hint is not None
        and deadline - time.perf_counter() > 1
    ):
        # the whole model found nothing in its share (presolve on a loaded machine): the
        # neighbourhoods and tabu bursts still work from the hint, which is complete
        given = plan_from_choice(compiled, hint, "feasible", "cp-sat", 0.0)
        if not validate(problem, given):
            improved = improve_incumbent(model, params, hint, own_bound or 0, deadline, use_tabu)
            candidate = plan_from_choice(compiled, improved, "feasible", "cp-sat", 0.0)
            if not validate(problem, candidate) and (
                best_plan is None or (candidate.objective or 0) < (best_plan.objective or 0)
            ):
                best_plan = candidate
    elapsed = time.perf_counter() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        choice = model.read(solver)
        optimal = status == cp_model.OPTIMAL
        bound = None
        if warmstart is None or warmstart.move_penalty == 0:
            bound = int(solver.best_objective_bound + 0.5 - 1e-6)
            if own_bound is not None:
                bound = max(bound, own_bound)
        if lns and not optimal and bound is not None:
            choice = improve_incumbent(model, params, choice, bound, deadline, use_tabu)
            elapsed = time.perf_counter() - started
        plan = plan_from_choice(compiled, choice, "feasible", "cp-sat", elapsed, bound)
        if (
            best_plan is not None
            and plan.objective is not None
            and best_plan.objective is not None
            and _penalised(compiled, best_plan, warmstart) < _penalised(compiled, plan, warmstart)
        ):
            plan = replace(best_plan, lower_bound=bound, solve_time_s=elapsed)
        if optimal or (bound is not None and plan.objective == bound):
            plan = replace(plan, status="optimal", lower_bound=plan.objective)
        if not validate(problem, plan):
            return plan
    if status == cp_model.INFEASIBLE and best_plan is None:
        if any(job.deadline is not None for job in problem.jobs):
            return _explain_deadlines(problem, params, started)
        return Plan(
            "infeasible",
            "cp-sat",
            issues=(
                Infeasibility(
                    "no_solution_found",
                    "The steps cannot be fitted into the machines' availability.",
                ),
            ),
            solve_time_s=elapsed,
        )
    if best_plan is not None:
        bound = None
        if status == cp_model.UNKNOWN and (warmstart is None or warmstart.move_penalty == 0):
            # no solution in time, but the search may have proven a bound (its LP)
            found = solver.best_objective_bound
            if math.isfinite(found) and found <= (best_plan.objective or 0):
                bound = int(found + 0.5 - 1e-6)
            if own_bound is not None:
                bound = max(bound or 0, own_bound)
        return replace(best_plan, solve_time_s=time.perf_counter() - started, lower_bound=bound)
    if any(job.deadline is not None for job in problem.jobs):
        return _explain_deadlines(problem, params, started)
    return Plan(
        "unknown",
        "none",
        issues=(Infeasibility("no_solution_found", "No plan was found in the time allowed."),),
        solve_time_s=time.perf_counter() - started,
    )


def _penalised(compiled: Compiled, plan: Plan, warmstart: Warmstart | None) -> int:
    """The plan's objective plus the re-plan's move penalties, as CP-SAT minimises it.

    The greedy repair and CP-SAT's answer are compared on this, not on the plan's objective
    alone: a greedy plan that moves more steps for a lower cost must not replace the one
    that weighs the moves (it did, and the move penalty then decided nothing).
    """
    objective = plan.objective or 0
    if warmstart is None or not warmstart.move_penalty:
        return objective
    by_step = plan.by_step()
    moved = 0
    for i, (ai, start) in warmstart.reference.items():
        if i in warmstart.fixed:
            continue
        op = compiled.ops[i]
        a = by_step.get((op.job_id, op.step_id))
        machine = compiled.machine_index.get(a.machine) if a is not None else None
        if a is None or a.start != start or machine != op.alts[ai].machine:
            moved += 1
    return objective + warmstart.move_penalty * moved


def _stranded_steps(compiled: Compiled, warmstart: Warmstart | None) -> list[Infeasibility]:
    """Steps that fit on none of their machines' calendars at all (from their release on)."""
    fixed = warmstart.fixed if warmstart else {}
    issues = []
    for op in compiled.ops:
        if op.index in fixed:
            continue
        if all(
            earliest_slot(compiled.busy[a.machine], op.release, a.duration) + a.duration >= FOREVER
            for a in op.alts
        ):
            issues.append(
                Infeasibility(
                    "no_available_machine",
                    f"No machine that can do step {op.step_id} of job {op.job_id} has a free "
                    "window long enough for it.",
                    op.job_id,
                    op.step_id,
                )
            )
    return issues


def ops_present(compiled: Compiled) -> bool:
    """True if there is at least one step to schedule."""
    return bool(compiled.ops)


def _explain_deadlines(problem: Problem, params: SolveParams, started: float) -> Plan:
    """Solve with deadlines turned into due dates to report each late job's earliest end."""
    relaxed_jobs = tuple(
        replace(job, due=job.deadline, deadline=None, weight=1)
        if job.deadline is not None
        else replace(job, due=None)
        for job in problem.jobs
    )
    relaxed = replace(problem, jobs=relaxed_jobs, objective=Objective(tardiness=1))
    budget = max(0.5, params.time_limit_s - (time.perf_counter() - started))
    plan = solve(relaxed, replace(params, time_limit_s=budget, hint=None))
    issues: list[Infeasibility] = []
    if plan.has_schedule:
        for job in problem.jobs:
            if job.deadline is None or not job.steps:
                continue
            completion = _completion(problem, job, plan)
            if completion > job.deadline:
                issues.append(
                    Infeasibility(
                        "deadline_impossible",
                        f"Job {job.id} cannot be delivered by minute {job.deadline}; the "
                        f"earliest delivery found is minute {completion}.",
                        job=job.id,
                        earliest=completion,
                    )
                )
    if not issues:
        issues.append(
            Infeasibility(
                "deadline_impossible",
                "The deadlines cannot all be met together.",
            )
        )
    return Plan(
        "infeasible", "cp-sat", issues=tuple(issues), solve_time_s=time.perf_counter() - started
    )


def _completion(problem: Problem, job: Routing, plan: Plan) -> int:
    last = plan.by_step()[(job.id, job.steps[-1].id)]
    leg = job.delivery.get(problem.workshop_of(last.machine))
    return last.end + (leg.time if leg else 0)
