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
  then neighbourhood solves with most machine assignments fixed (``_lns``).

The answer is checked by ``validate`` before it is returned; when CP-SAT finds nothing in
time, the greedy plan is returned instead.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from matching.engine.compiled import FOREVER, Compiled, earliest_slot
from matching.engine.greedy import Choice, greedy_choice, plan_from_choice
from matching.engine.problem import (
    Infeasibility,
    Objective,
    Plan,
    Problem,
    Routing,
    SolveParams,
)
from matching.engine.validate import validate

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

LARGE_MODEL = 5_000  # variables; above it presolve probing costs more than it gains
# Makespan-only problems with a budget above LNS_AFTER_S seconds: the whole model runs for
# max(LNS_AFTER_S, LNS_FIRST_SHARE x budget), then the rest goes to small neighbourhood solves
# of LNS_STEP_S seconds each (see _lns and docs/matching-engine.md).
LNS_AFTER_S = 10.0
LNS_FIRST_SHARE = 0.3
LNS_STEP_S = 1.0


def solve(problem: Problem, params: SolveParams | None = None) -> Plan:
    """Best plan found for ``problem`` within ``params``; never an invalid schedule.

    Input errors (a step no machine can do, unknown ids, circular waits) give an
    ``infeasible`` plan at once. Hard deadlines that cannot all be met give an ``infeasible``
    plan whose issues carry, per late job, the earliest completion found without deadlines.
    """
    return solve_compiled(Compiled(problem), params or SolveParams())


@dataclass(frozen=True)
class Warmstart:
    """Re-planning inputs: steps pinned in place, a reference schedule and a move penalty.

    ``fixed`` and ``reference`` map op index to ``(alternative index, start)``. Each op that
    leaves its reference machine or start adds ``move_penalty`` to the objective.
    """

    fixed: dict[int, tuple[int, int]]
    reference: dict[int, tuple[int, int]]
    move_penalty: int = 0


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
    greedy_plan: Plan | None = None
    if fallback is not None:
        candidate = plan_from_choice(compiled, fallback, "feasible", "greedy", 0.0)
        if not validate(problem, candidate):
            greedy_plan = candidate
    if not ops_present(compiled):
        return plan_from_choice(compiled, [], "optimal", "greedy", time.perf_counter() - started, 0)
    horizon = compiled.safe_horizon()
    objective = problem.objective
    if objective.is_makespan_only() and greedy_plan is not None and warmstart is None:
        horizon = min(horizon, greedy_plan.makespan)
    if warmstart is not None:
        pinned = list(warmstart.fixed.items()) + list(warmstart.reference.items())
        horizon = max([horizon] + [s + compiled.ops[i].alts[ai].duration for i, (ai, s) in pinned])
    model = _Model(compiled, horizon, warmstart)
    if hint is not None:
        model.add_hint(hint)
    solver = cp_model.CpSolver()
    remaining = params.time_limit_s - (time.perf_counter() - started)
    large = len(model.model.proto.variables) > LARGE_MODEL
    # The hint is the greedy repair of the current plan, feasible for the changed problem, so
    # CP-SAT's repair_hint is not needed (with 2 workers it aborted CP-SAT 9.15 with
    # "Check failed: heuristics.fixed_search != nullptr").
    _configure(solver.parameters, params, max(remaining, 0.05), repair=False, large=large)
    lns = (
        warmstart is None
        and not params.deterministic
        and objective.is_makespan_only()
        and params.time_limit_s > LNS_AFTER_S
    )
    if lns:
        # Phase 1: the whole model for a share of the budget; phase 2 (below): small LNS
        # solves on the incumbent with most machine assignments fixed.
        first = max(LNS_AFTER_S, LNS_FIRST_SHARE * params.time_limit_s)
        solver.parameters.max_time_in_seconds = max(0.05, first - (time.perf_counter() - started))
    status = solver.solve(model.model)
    elapsed = time.perf_counter() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        choice = model.read(solver)
        optimal = status == cp_model.OPTIMAL
        bound = None
        if warmstart is None or warmstart.move_penalty == 0:
            bound = int(solver.best_objective_bound + 0.5 - 1e-6)
        if lns and not optimal and bound is not None:
            choice = _lns(model, params, choice, bound, started + params.time_limit_s)
            elapsed = time.perf_counter() - started
        plan = plan_from_choice(
            compiled, choice, "optimal" if optimal else "feasible", "cp-sat", elapsed, bound
        )
        if bound is not None and plan.objective is not None and optimal:
            plan = replace(plan, lower_bound=plan.objective)
        if (
            greedy_plan is not None
            and plan.objective is not None
            and not optimal
            and greedy_plan.objective is not None
            and greedy_plan.objective < plan.objective
        ):
            plan = replace(greedy_plan, lower_bound=bound, solve_time_s=elapsed)
        if not validate(problem, plan):
            return plan
    if status == cp_model.INFEASIBLE and greedy_plan is None:
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
    if greedy_plan is not None:
        return replace(greedy_plan, solve_time_s=time.perf_counter() - started)
    if any(job.deadline is not None for job in problem.jobs):
        return _explain_deadlines(problem, params, started)
    return Plan(
        "unknown",
        "none",
        issues=(Infeasibility("no_solution_found", "No plan was found in the time allowed."),),
        solve_time_s=time.perf_counter() - started,
    )


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


def _configure(
    parameters: cp_model.SatParameters,
    params: SolveParams,
    time_limit: float,
    repair: bool,
    large: bool = False,
) -> None:
    """Map ``SolveParams`` to CP-SAT parameters (see docs/matching-engine.md)."""
    parameters.random_seed = params.seed
    parameters.log_search_progress = params.log
    workers = max(1, params.workers)
    if params.deterministic:
        parameters.interleave_search = True
        parameters.num_workers = max(workers, 1)
        parameters.max_deterministic_time = time_limit
        parameters.max_time_in_seconds = 4 * time_limit
    else:
        parameters.num_workers = workers
        parameters.max_time_in_seconds = time_limit
    if repair:
        parameters.repair_hint = True
    if large:
        parameters.cp_model_probing_level = 0  # probing took 5 s of presolve at 15 k booleans


class _Model:
    """The CP-SAT model and the bookkeeping to hint it and read it back."""

    def __init__(self, compiled: Compiled, horizon: int, warmstart: Warmstart | None) -> None:
        from ortools.sat.python import cp_model

        self.c = compiled
        self.model = cp_model.CpModel()
        self.horizon = horizon
        m = self.model
        ops = compiled.ops
        objective = compiled.problem.objective
        head, tail = _heads_and_tails(compiled)
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.IntVar] = []
        self.presence: list[list[cp_model.IntVar | int]] = []
        self.workshop_lits: list[dict[int, cp_model.IntVar | int]] = []
        per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in compiled.machine_ids]
        for op in ops:
            lo = head[op.index]
            hi = max(lo, horizon - tail[op.index])
            start = m.new_int_var(lo, hi, f"s{op.index}")
            min_d = min(a.duration for a in op.alts)
            max_d = max(a.duration for a in op.alts)
            end = m.new_int_var(lo + min_d, hi + max_d, f"e{op.index}")
            lits: list[cp_model.IntVar | int] = []
            if len(op.alts) == 1:
                a = op.alts[0]
                m.add(end == start + a.duration)
                per_machine[a.machine].append(
                    m.new_fixed_size_interval_var(start, a.duration, f"i{op.index}")
                )
                lits.append(1)
            else:
                for k, a in enumerate(op.alts):
                    p = m.new_bool_var(f"p{op.index}_{k}")
                    per_machine[a.machine].append(
                        m.new_optional_fixed_size_interval_var(
                            start, a.duration, p, f"i{op.index}_{k}"
                        )
                    )
                    lits.append(p)
                m.add_exactly_one(lits)  # type: ignore[arg-type]
                m.add(
                    end == start + sum(a.duration * p for a, p in zip(op.alts, lits, strict=True))
                )
            self.starts.append(start)
            self.ends.append(end)
            self.presence.append(lits)
            by_ws: dict[int, list[cp_model.IntVar | int]] = {}
            for a, p in zip(op.alts, lits, strict=True):
                by_ws.setdefault(compiled.machine_workshop[a.machine], []).append(p)
            ws_lits: dict[int, cp_model.IntVar | int] = {}
            for w, ps in by_ws.items():
                if len(ps) == 1:
                    ws_lits[w] = ps[0]
                else:
                    z = m.new_bool_var(f"w{op.index}_{w}")
                    m.add(z == sum(ps))
                    ws_lits[w] = z
            self.workshop_lits.append(ws_lits)
        for k, intervals in enumerate(per_machine):
            if not intervals:
                continue
            for s, e in compiled.busy[k]:
                if s >= horizon:
                    break
                e = min(e, horizon + 1) if e >= FOREVER else e
                intervals.append(m.new_fixed_size_interval_var(s, e - s, f"b{k}_{s}"))
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
        transport = compiled.has_transport()
        self.pair_lits: list[tuple[cp_model.IntVar, int, int, int, int]] = []
        cost_terms: list[cp_model.LinearExprT] = []
        co2_terms: list[cp_model.LinearExprT] = []
        for op in ops:
            for k, a in enumerate(op.alts):
                p = self.presence[op.index][k]
                if a.cost:
                    cost_terms.append(a.cost * p)
                if a.co2:
                    co2_terms.append(a.co2 * p)
            for pred in op.preds:
                self._add_edge(pred, op.index, transport, cost_terms, co2_terms)
        self.makespan = m.new_int_var(0, horizon + _max_delivery(compiled), "makespan")
        self.tardiness_vars: list[tuple[cp_model.IntVar, int]] = []
        tardiness_terms: list[cp_model.LinearExprT] = []
        for j, job in enumerate(compiled.problem.jobs):
            if not compiled.job_ops[j]:
                continue
            last = ops[compiled.job_ops[j][-1]]
            completion: cp_model.LinearExprT = self.ends[last.index]
            for w, z in self.workshop_lits[last.index].items():
                leg = job.delivery.get(compiled.workshop_ids[w])
                if leg is None:
                    continue
                completion = completion + leg.time * z
                cost_terms.append(leg.cost * z)
                co2_terms.append(leg.co2 * z)
            m.add(self.makespan >= completion)
            if job.deadline is not None:
                m.add(completion <= job.deadline)
            if job.due is not None and objective.tardiness:
                t = m.new_int_var(0, horizon + _max_delivery(compiled), f"t{j}")
                m.add(t >= completion - job.due)
                self.tardiness_vars.append((t, j))
                tardiness_terms.append(job.weight * t)
        terms: list[cp_model.LinearExprT] = []
        if objective.makespan:
            terms.append(objective.makespan * self.makespan)
        if objective.cost:
            terms += [objective.cost * t for t in cost_terms]
        if objective.co2:
            terms += [objective.co2 * t for t in co2_terms]
        if objective.tardiness:
            terms += [objective.tardiness * t for t in tardiness_terms]
        self.moved: list[tuple[cp_model.IntVar, int]] = []
        self.reference: dict[int, tuple[int, int]] = {}
        if warmstart is not None:
            for i, (ai, s) in warmstart.fixed.items():
                m.add(self.starts[i] == s)
                p = self.presence[i][ai]
                if not isinstance(p, int):
                    m.add(p == 1)
            if warmstart.move_penalty:
                for i, (ai, s) in warmstart.reference.items():
                    if i in warmstart.fixed:
                        continue
                    moved = m.new_bool_var(f"moved{i}")
                    m.add(self.starts[i] == s).only_enforce_if(moved.Not())
                    p = self.presence[i][ai]
                    if not isinstance(p, int):
                        m.add_implication(moved.Not(), p)
                    self.moved.append((moved, i))
                    self.reference[i] = (ai, s)
                    terms.append(warmstart.move_penalty * moved)
        m.minimize(sum(terms))

    def _add_edge(
        self,
        pred: int,
        succ: int,
        transport: bool,
        cost_terms: list[cp_model.LinearExprT],
        co2_terms: list[cp_model.LinearExprT],
    ) -> None:
        """``succ`` starts after ``pred`` ends plus the leg between their workshops.

        With transport, one literal per (workshop of pred, workshop of succ) pair, tied to the
        workshop literals by row and column sums (an exact, LP-tight linearisation of their
        product), so the leg's time, cost and CO2 are plain linear terms.
        """
        m = self.model
        c = self.c
        if not transport:
            m.add(self.starts[succ] >= self.ends[pred])
            return
        origins = self.workshop_lits[pred]
        targets = self.workshop_lits[succ]
        legs = {
            (w1, w2): c.problem.transport.leg(c.workshop_ids[w1], c.workshop_ids[w2])
            for w1 in origins
            for w2 in targets
        }
        if all(leg.time == 0 and leg.cost == 0 and leg.co2 == 0 for leg in legs.values()):
            m.add(self.starts[succ] >= self.ends[pred])
            return
        if len(origins) == 1 and len(targets) == 1:
            leg = next(iter(legs.values()))
            m.add(self.starts[succ] >= self.ends[pred] + leg.time)
            cost_terms.append(leg.cost)
            co2_terms.append(leg.co2)
            return
        pair: dict[tuple[int, int], cp_model.IntVar] = {}
        for key in legs:
            pair[key] = m.new_bool_var(f"y{pred}_{succ}_{key[0]}_{key[1]}")
            self.pair_lits.append((pair[key], pred, succ, key[0], key[1]))
        for w1, z1 in origins.items():
            m.add(sum(pair[w1, w2] for w2 in targets) == z1)
        for w2, z2 in targets.items():
            m.add(sum(pair[w1, w2] for w1 in origins) == z2)
        m.add(
            self.starts[succ]
            >= self.ends[pred] + sum(leg.time * pair[key] for key, leg in legs.items() if leg.time)
        )
        cost_terms.extend(leg.cost * pair[key] for key, leg in legs.items() if leg.cost)
        co2_terms.extend(leg.co2 * pair[key] for key, leg in legs.items() if leg.co2)

    def add_hint(self, choice: Choice, model: cp_model.CpModel | None = None) -> None:
        """Hint every variable from a complete schedule (in ``model``: a clone of ours)."""
        m = self.model if model is None else model
        m.clear_hints()
        c = self.c
        for op in c.ops:
            ai, start = choice[op.index]
            m.add_hint(self.starts[op.index], start)
            m.add_hint(self.ends[op.index], start + op.alts[ai].duration)
            for k, p in enumerate(self.presence[op.index]):
                if not isinstance(p, int):
                    m.add_hint(p, k == ai)
            w_chosen = c.machine_workshop[op.alts[ai].machine]
            for w, z in self.workshop_lits[op.index].items():
                if not isinstance(z, int) and all(z is not p for p in self.presence[op.index]):
                    m.add_hint(z, w == w_chosen)
        for y, pred, succ, w1, w2 in self.pair_lits:
            wp = c.machine_workshop[c.ops[pred].alts[choice[pred][0]].machine]
            ws = c.machine_workshop[c.ops[succ].alts[choice[succ][0]].machine]
            m.add_hint(y, wp == w1 and ws == w2)
        totals = c.totals(choice)
        m.add_hint(self.makespan, totals.makespan)
        for t, j in self.tardiness_vars:
            job = c.problem.jobs[j]
            last = c.ops[c.job_ops[j][-1]]
            ai, start = choice[last.index]
            a = last.alts[ai]
            done = start + a.duration + c.delivery(last, a.machine).time
            m.add_hint(t, max(0, done - (job.due or 0)))
        for moved, i in self.moved:
            reference = self.reference[i]
            m.add_hint(moved, (choice[i][0], choice[i][1]) != reference)

    def read(self, solver: cp_model.CpSolver) -> Choice:
        """The schedule in the solver's final solution."""
        choice: Choice = []
        for op in self.c.ops:
            lits = self.presence[op.index]
            ai = next(
                k for k, p in enumerate(lits) if isinstance(p, int) or solver.boolean_value(p)
            )
            choice.append((ai, solver.value(self.starts[op.index])))
        return choice


def _lns(model: _Model, params: SolveParams, choice: Choice, bound: int, deadline: float) -> Choice:
    """Improve a makespan-only schedule by neighbourhood solves until ``deadline``.

    Each step clones the model, fixes the machine of every op outside a random neighbourhood
    (the ops of 15-35 % of the jobs, or the ops on 15-35 % of the machines, alternately) to
    its machine in the incumbent, caps the makespan at the incumbent's, hints the incumbent
    and solves for ``LNS_STEP_S`` seconds. Start times stay free, so the fixed part is still
    re-sequenced. Ends early at ``bound`` (the first phase's proven lower bound).
    """
    from ortools.sat.python import cp_model

    c = model.c
    rng = random.Random(params.seed)
    best = choice
    best_value = c.totals(best).makespan
    n_jobs = len(c.job_ops)
    n_machines = len(c.machine_ids)
    step = 0
    while best_value > bound:
        left = deadline - time.perf_counter()
        if left < 0.3:
            break
        share = rng.uniform(0.15, 0.35)
        if step % 2 == 0:
            jobs = set(rng.sample(range(n_jobs), max(1, round(share * n_jobs))))
            free = [c.ops[i].job in jobs for i in range(len(c.ops))]
        else:
            machines = set(rng.sample(range(n_machines), max(2, round(share * n_machines))))
            free = [op.alts[best[op.index][0]].machine in machines for op in c.ops]
        step += 1
        sub = model.model.clone()
        for op in c.ops:
            if free[op.index]:
                continue
            ai = best[op.index][0]
            for k, p in enumerate(model.presence[op.index]):
                if not isinstance(p, int):
                    sub.add(p == int(k == ai))
        sub.add(model.makespan <= best_value)
        model.add_hint(best, sub)
        solver = cp_model.CpSolver()
        _configure(
            solver.parameters,
            replace(params, seed=params.seed + step),
            min(LNS_STEP_S, left),
            repair=False,
        )
        status = solver.solve(sub)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        candidate = model.read(solver)
        value = c.totals(candidate).makespan
        if value <= best_value:
            best, best_value = candidate, value
    return best


def _max_delivery(compiled: Compiled) -> int:
    return max(
        (leg.time for job in compiled.problem.jobs for leg in job.delivery.values()), default=0
    )


def _heads_and_tails(compiled: Compiled) -> tuple[list[int], list[int]]:
    """Earliest start (release + shortest predecessor chain) and shortest remaining work."""
    ops = compiled.ops
    head = [op.release for op in ops]
    for i in compiled.topo:
        op = ops[i]
        for p in op.preds:
            head[i] = max(head[i], head[p] + min(a.duration for a in ops[p].alts))
    tail = [0] * len(ops)
    for i in reversed(compiled.topo):
        op = ops[i]
        tail[i] = min(a.duration for a in op.alts) + max((tail[s] for s in op.succs), default=0)
    return head, tail
