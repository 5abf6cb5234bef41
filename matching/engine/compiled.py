"""A flat, index-based view of a ``Problem`` shared by the greedy, the CP-SAT model and checks.

Compiling once turns ids into indices, merges calendars into sorted busy lists, resolves the
DAG (chain edges and ``waits_for`` edges) into predecessor lists with transport legs, and
collects the input errors a customer can understand before any solver runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from matching.engine.problem import (
    NO_LEG,
    Assignment,
    Infeasibility,
    Interval,
    Leg,
    Problem,
)

FOREVER = 10**9  # minutes; "never available again" after a machine's last window


@dataclass(frozen=True)
class Alt:
    """An alternative of an operation, by machine index."""

    machine: int
    duration: int
    cost: int
    co2: int


@dataclass
class Op:
    """One step of one job, numbered globally in problem order."""

    index: int
    job: int
    pos: int
    job_id: str
    step_id: str
    alts: list[Alt]
    preds: list[int] = field(default_factory=list)
    succs: list[int] = field(default_factory=list)
    release: int = 0


@dataclass(frozen=True)
class Totals:
    """The objective terms of a schedule."""

    makespan: int
    cost: int
    co2: int
    tardiness: int
    objective: int
    late_deadlines: tuple[tuple[str, int], ...]  # (job id, completion) past the deadline


def _malformed(problem: Problem) -> list[Infeasibility]:
    """Repeated ids and impossible times: the index maps and the solvers assume neither."""
    faults: list[str] = []
    for kind, ids in (
        ("job", Counter(j.id for j in problem.jobs)),
        ("machine", Counter(m.id for m in problem.machines)),
    ):
        faults += [f"Two {kind}s have the id {i}." for i, n in ids.items() if n > 1]
    for job in problem.jobs:
        steps = Counter(s.id for s in job.steps)
        faults += [
            f"Job {job.id} has two steps with the id {s}." for s in sorted(steps) if steps[s] > 1
        ]
        if job.release < 0:
            faults.append(f"Job {job.id} has a negative release time ({job.release}).")
        for step in job.steps:
            for a in step.alternatives:
                if a.duration < 0:
                    faults.append(
                        f"Step {step.id} of job {job.id} has a negative duration "
                        f"({a.duration}) on machine {a.machine}."
                    )
                elif a.duration >= FOREVER:
                    faults.append(
                        f"Step {step.id} of job {job.id} takes {a.duration} minutes on machine "
                        f"{a.machine}, longer than the planning horizon ({FOREVER} minutes)."
                    )
    return [Infeasibility("invalid_input", message) for message in faults]


class Compiled:
    """Index-based problem: ops, machines' busy intervals, workshops and legs."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.issues: list[Infeasibility] = _malformed(problem)
        self.machine_ids = [m.id for m in problem.machines]
        self.machine_index = {m: i for i, m in enumerate(self.machine_ids)}
        workshops = sorted({m.workshop for m in problem.machines})
        self.workshop_ids = workshops
        self.workshop_index = {w: i for i, w in enumerate(workshops)}
        self.machine_workshop = [self.workshop_index[m.workshop] for m in problem.machines]
        self.busy: list[list[Interval]] = [
            _busy_intervals(m.windows, m.booked) for m in problem.machines
        ]
        self._legs: dict[tuple[int, int], Leg] = {}
        self.ops: list[Op] = []
        self.job_ops: list[list[int]] = []
        self.job_index = {j.id: i for i, j in enumerate(problem.jobs)}
        for j, job in enumerate(problem.jobs):
            ids: list[int] = []
            for pos, step in enumerate(job.steps):
                alts: list[Alt] = []
                for a in step.alternatives:
                    m = self.machine_index.get(a.machine)
                    if m is None:
                        self.issues.append(
                            Infeasibility(
                                "unknown_machine",
                                f"Step {step.id} of job {job.id} names machine {a.machine}, "
                                "which is not in the network.",
                                job.id,
                                step.id,
                            )
                        )
                        continue
                    alts.append(Alt(m, a.duration, a.cost, a.co2))
                if not alts:
                    self.issues.append(
                        Infeasibility(
                            "no_capable_machine",
                            f"No machine in the network can do step {step.process or step.id} "
                            f"of job {job.id}.",
                            job.id,
                            step.id,
                        )
                    )
                op = Op(len(self.ops), j, pos, job.id, step.id, alts, release=job.release)
                if ids:
                    op.preds.append(ids[-1])
                ids.append(op.index)
                self.ops.append(op)
            self.job_ops.append(ids)
        for j, job in enumerate(problem.jobs):
            for other in job.waits_for:
                k = self.job_index.get(other)
                if k is None:
                    self.issues.append(
                        Infeasibility(
                            "unknown_job",
                            f"Job {job.id} waits for job {other}, which is not in the problem.",
                            job.id,
                        )
                    )
                    continue
                if self.job_ops[j] and self.job_ops[k]:
                    self.ops[self.job_ops[j][0]].preds.append(self.job_ops[k][-1])
        for op in self.ops:
            for p in op.preds:
                self.ops[p].succs.append(op.index)
        self.topo = self._topological_order()
        self.last_op = {ops[-1]: j for j, ops in enumerate(self.job_ops) if ops}

    def _topological_order(self) -> list[int]:
        indegree = [len(op.preds) for op in self.ops]
        order = [op.index for op in self.ops if indegree[op.index] == 0]
        head = 0
        while head < len(order):
            for s in self.ops[order[head]].succs:
                indegree[s] -= 1
                if indegree[s] == 0:
                    order.append(s)
            head += 1
        if len(order) < len(self.ops):
            cyclic = sorted({self.ops[i].job_id for i in range(len(self.ops)) if indegree[i] > 0})
            self.issues.append(
                Infeasibility(
                    "cyclic_dependency",
                    "Jobs wait for each other in a circle: " + ", ".join(cyclic) + ".",
                )
            )
        return order

    def leg(self, m1: int, m2: int) -> Leg:
        """Transport leg between the workshops of two machines."""
        w1, w2 = self.machine_workshop[m1], self.machine_workshop[m2]
        if w1 == w2:
            return NO_LEG
        key = (w1, w2)
        leg = self._legs.get(key)
        if leg is None:
            leg = self.problem.transport.leg(self.workshop_ids[w1], self.workshop_ids[w2])
            self._legs[key] = leg
        return leg

    def delivery(self, op: Op, machine: int) -> Leg:
        """Delivery leg to the customer if ``op`` is the last step of its job, else none."""
        if op.index not in self.last_op:
            return NO_LEG
        job = self.problem.jobs[op.job]
        return job.delivery.get(self.workshop_ids[self.machine_workshop[machine]], NO_LEG)

    def has_transport(self) -> bool:
        """True if any leg or delivery can be non-zero (FJSP benchmarks have none)."""
        t = self.problem.transport
        if t.default != NO_LEG and len(self.workshop_ids) > 1:
            return True
        if any(leg != NO_LEG for leg in t.legs.values()):
            return True
        return any(leg != NO_LEG for job in self.problem.jobs for leg in job.delivery.values())

    def safe_horizon(self) -> int:
        """An end time that some optimal schedule never exceeds, for any objective.

        Left-shifting a schedule keeps its machines (so its cost) and never delays anything;
        in a left-shifted schedule each step starts at a fixed time point (release, window
        start, end of a booking) or right after a step or leg, so the latest end is at most the
        latest fixed point plus every step's longest duration and longest incoming leg.
        """
        points = [0]
        points += [j.release for j in self.problem.jobs]
        for busy in self.busy:
            points += [end for _, end in busy if end < FOREVER]
        total = 0
        for op in self.ops:
            if not op.alts:
                continue
            total += max(a.duration for a in op.alts)
            worst_leg = 0
            for p in op.preds:
                for a in self.ops[p].alts:
                    for b in op.alts:
                        worst_leg = max(worst_leg, self.leg(a.machine, b.machine).time)
            total += worst_leg
        worst_delivery = max(
            (self.delivery(op, a.machine).time for op in self.ops for a in op.alts), default=0
        )
        return max(points) + total + worst_delivery

    def totals(self, choice: list[tuple[int, int]]) -> Totals:
        """Objective terms for ``choice[op] = (alternative index, start)``."""
        cost = co2 = tardiness = makespan = 0
        late: list[tuple[str, int]] = []
        for op in self.ops:
            ai, _ = choice[op.index]
            a = op.alts[ai]
            cost += a.cost
            co2 += a.co2
            for p in op.preds:
                pa = self.ops[p].alts[choice[p][0]]
                leg = self.leg(pa.machine, a.machine)
                cost += leg.cost
                co2 += leg.co2
        for j, job in enumerate(self.problem.jobs):
            ops = self.job_ops[j]
            if not ops:
                continue
            last = self.ops[ops[-1]]
            ai, start = choice[last.index]
            a = last.alts[ai]
            leg = self.delivery(last, a.machine)
            cost += leg.cost
            co2 += leg.co2
            completion = start + a.duration + leg.time
            makespan = max(makespan, completion)
            if job.due is not None and completion > job.due:
                tardiness += job.weight * (completion - job.due)
            if job.deadline is not None and completion > job.deadline:
                late.append((job.id, completion))
        w = self.problem.objective
        objective = w.makespan * makespan + w.cost * cost + w.tardiness * tardiness + w.co2 * co2
        return Totals(makespan, cost, co2, tardiness, objective, tuple(late))

    def choice_from_assignments(
        self, assignments: tuple[Assignment, ...] | list[Assignment]
    ) -> list[tuple[int, int]] | None:
        """Map assignments back to ``(alternative index, start)`` per op; None if incomplete."""
        by_key = {(a.job, a.step): a for a in assignments}
        choice: list[tuple[int, int]] = []
        for op in self.ops:
            a = by_key.get((op.job_id, op.step_id))
            if a is None:
                return None
            m = self.machine_index.get(a.machine)
            offered = [i for i, alt in enumerate(op.alts) if alt.machine == m]
            same_length = [i for i in offered if op.alts[i].duration == a.end - a.start]
            ai = next(iter(same_length or offered), None)
            if ai is None:
                return None
            choice.append((ai, a.start))
        return choice

    def assignments(self, choice: list[tuple[int, int]]) -> tuple[Assignment, ...]:
        """Assignments in problem order for ``choice[op] = (alternative index, start)``."""
        out = []
        for op in self.ops:
            ai, start = choice[op.index]
            a = op.alts[ai]
            out.append(
                Assignment(
                    op.job_id, op.step_id, self.machine_ids[a.machine], start, start + a.duration
                )
            )
        return tuple(out)


def _busy_intervals(
    windows: tuple[Interval, ...] | None, booked: tuple[Interval, ...]
) -> list[Interval]:
    """Sorted, merged intervals when a machine cannot start work: outside windows, booked."""
    busy: list[Interval] = [(s, e) for s, e in booked if e > s]
    if windows is not None:
        t = 0
        for s, e in sorted(w for w in windows if w[1] > w[0]):
            if s > t:
                busy.append((t, s))
            t = max(t, e)
        busy.append((t, FOREVER))
    busy.sort()
    merged: list[Interval] = []
    for s, e in busy:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def earliest_slot(busy: list[Interval], ready: int, duration: int) -> int:
    """Earliest ``t >= ready`` with ``[t, t + duration)`` free of every busy interval.

    ``busy`` must be sorted and non-overlapping (merged).
    """
    t = ready
    lo, hi = 0, len(busy)
    while lo < hi:  # first interval ending after ready
        mid = (lo + hi) // 2
        if busy[mid][1] <= t:
            lo = mid + 1
        else:
            hi = mid
    for s, e in busy[lo:]:
        if t + duration <= s:
            return t
        if e > t:
            t = e
    return t
