"""The CP-SAT model of the marketplace scheduling problem (and of the classical FJSP).

Built once per solve by ``CpSatModel``; the solver, the neighbourhood search and the
re-planner hint it, clone it and read solutions back through it. See solver.py and
docs/matching-engine.md for the reasoning behind each constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from matching.engine.bounds import heads_and_tails, machine_groups
from matching.engine.compiled import FOREVER, Compiled
from matching.engine.greedy import Choice
from matching.engine.problem import SolveParams

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Warmstart:
    """Re-planning inputs: steps pinned in place, a reference schedule and a move penalty.

    ``fixed`` and ``reference`` map op index to ``(alternative index, start)``. Each op that
    leaves its reference machine or start adds ``move_penalty`` to the objective.
    """

    fixed: dict[int, tuple[int, int]]
    reference: dict[int, tuple[int, int]]
    move_penalty: int = 0


def configure(
    parameters: cp_model.SatParameters,
    params: SolveParams,
    time_limit: float,
    repair: bool,
    large: bool = False,
) -> None:
    """Map ``SolveParams`` to CP-SAT parameters (see docs/matching-engine.md)."""
    parameters.random_seed = params.seed
    parameters.log_search_progress = params.log
    workers = params.threads
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


class CpSatModel:
    """The CP-SAT model and the bookkeeping to hint it and read it back."""

    def __init__(
        self,
        compiled: Compiled,
        horizon: int,
        warmstart: Warmstart | None,
        makespan_bound: int = 0,
        redundant: bool = False,
    ) -> None:
        """Build the model; ``makespan_bound`` is a proven lower bound (``bounds.py``).

        ``redundant`` adds a cumulative over each loaded machine group (steps confined to
        ``k`` machines run at most ``k`` at a time), which the no-overlaps imply but do not
        propagate together.
        """
        from ortools.sat.python import cp_model

        self.c = compiled
        self.model = cp_model.CpModel()
        self.horizon = horizon
        m = self.model
        ops = compiled.ops
        objective = compiled.problem.objective
        head, tail = heads_and_tails(compiled)
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
        self.makespan = m.new_int_var(
            min(makespan_bound, horizon + max_delivery(compiled)),
            horizon + max_delivery(compiled),
            "makespan",
        )
        if redundant:
            self._add_group_cumulatives()
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
                t = m.new_int_var(0, horizon + max_delivery(compiled), f"t{j}")
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
        self.objective = sum(terms)
        m.minimize(self.objective)

    def _add_group_cumulatives(self) -> None:
        """Steps confined to a group of ``k`` machines: at most ``k`` of them at once."""
        m = self.model
        ops = self.c.ops
        for machines, members in machine_groups(self.c):
            intervals = []
            for i in members:
                durations = [a.duration for a in ops[i].alts]
                size = m.new_int_var(min(durations), max(durations), f"d{i}")
                m.add(size == self.ends[i] - self.starts[i])
                intervals.append(m.new_interval_var(self.starts[i], size, self.ends[i], f"g{i}"))
            m.add_cumulative(intervals, [1] * len(intervals), len(machines))

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


def max_delivery(compiled: Compiled) -> int:
    return max(
        (leg.time for job in compiled.problem.jobs for leg in job.delivery.values()), default=0
    )
