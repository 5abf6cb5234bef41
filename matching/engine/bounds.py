"""Lower bounds on the makespan, cheap enough to compute before every solve.

Each bound relaxes the problem (calendars, bookings and transport legs are ignored, which
only makes schedules shorter), so each is at most the makespan of every valid schedule:

* **job chain**: the longest chain of shortest durations through the precedence DAG, from
  the job's release (``head + tail`` of any step);
* **one machine** (head-body-tail): the steps that only one machine can do, with their
  heads (earliest starts) and tails (shortest work after them), scheduled by Jackson's
  preemptive rule, largest tail first, which is optimal for the preemptive one-machine
  problem and so a bound for the real one;
* **machine groups**: the steps whose capable machines all lie in a set ``S`` of ``k``
  machines must share those ``k`` machines: for any threshold ``h``, the steps with head at
  least ``h`` need ``h + ceil(sum of their shortest durations / k) + min of their tails``
  (and symmetrically with tails).

For the weighted objective, ``objective_lower_bound`` adds up separate bounds on its terms:
each job's cheapest chain of machines (cost and CO2, ``greedy.cheapest_chains``), the
makespan bound above, and each job's lateness when its shortest chain already ends after
its due date.

The solver adds the best of them as ``makespan >= bound`` (CP-SAT then proves optimality
as soon as it meets a schedule that long) and stops its local searches there.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from matching.engine.compiled import Compiled
from matching.engine.greedy import cheapest_chains


def heads_and_tails(compiled: Compiled) -> tuple[list[int], list[int]]:
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


def jackson_preemptive(jobs: list[tuple[int, int, int]]) -> int:
    """``max(completion + tail)`` of Jackson's preemptive schedule of ``(head, body, tail)``.

    At each moment the released job with the largest tail runs, pre-empting others; that
    schedule is optimal for the preemptive one-machine problem, a relaxation of ours.
    """
    pending = sorted(jobs)
    ready: list[tuple[int, int, int]] = []  # (-tail, index, remaining)
    t = 0
    k = 0
    best = 0
    while k < len(pending) or ready:
        if not ready and t < pending[k][0]:
            t = pending[k][0]
        while k < len(pending) and pending[k][0] <= t:
            _, body, tail = pending[k]
            heapq.heappush(ready, (-tail, k, body))
            k += 1
        neg_tail, index, remaining = heapq.heappop(ready)
        next_release = pending[k][0] if k < len(pending) else None
        run = remaining if next_release is None else min(remaining, next_release - t)
        t += run
        if run < remaining:
            heapq.heappush(ready, (neg_tail, index, remaining - run))
        else:
            best = max(best, t - neg_tail)
    return best


def _group_bound(items: list[tuple[int, int, int]], machines: int) -> int:
    """The energetic bound of ``(head, body, tail)`` items sharing ``machines`` machines."""
    best = 0
    for key, other in ((0, 2), (2, 0)):
        ordered = sorted(items, key=lambda item: item[key], reverse=True)
        work = 0
        smallest_other: int | None = None
        for item in ordered:
            work += item[1]
            smallest_other = (
                item[other] if smallest_other is None else min(smallest_other, item[other])
            )
            best = max(best, item[key] + -(-work // machines) + smallest_other)
    return best


def makespan_lower_bound(compiled: Compiled) -> int:
    """The best of the job-chain, one-machine and machine-group bounds (0 without steps)."""
    ops = [op for op in compiled.ops if op.alts]
    if not ops:
        return 0
    head, tail = heads_and_tails(compiled)
    best = max(head[op.index] + tail[op.index] for op in ops)
    groups: dict[frozenset[int], list[tuple[int, int, int]]] = defaultdict(list)
    all_machines = frozenset(a.machine for op in ops for a in op.alts)
    for op in ops:
        body = min(a.duration for a in op.alts)
        machines = frozenset(a.machine for a in op.alts)
        groups[machines].append((head[op.index], body, tail[op.index] - body))
    sets = set(groups) | {all_machines}
    for machines in sets:
        members = [item for other, items in groups.items() if other <= machines for item in items]
        if len(machines) == 1:
            best = max(best, jackson_preemptive(members))
        else:
            best = max(best, _group_bound(members, len(machines)))
    return best


def machine_groups(compiled: Compiled, limit: int = 20) -> list[tuple[frozenset[int], list[int]]]:
    """Machine sets worth a redundant cumulative: ``(machines, ops confined to them)``.

    Only sets of two or more machines to which more steps than machines are confined, the
    most loaded (work per machine) first, at most ``limit``.
    """
    confined: dict[frozenset[int], list[int]] = defaultdict(list)
    for op in compiled.ops:
        if op.alts:
            confined[frozenset(a.machine for a in op.alts)].append(op.index)
    scored = []
    for machines in confined:
        if len(machines) < 2:
            continue
        members = sorted(i for other, ids in confined.items() if other <= machines for i in ids)
        if len(members) <= len(machines):
            continue
        work = sum(min(a.duration for a in compiled.ops[i].alts) for i in members)
        scored.append((-work / len(machines), sorted(machines), machines, members))
    scored.sort()
    return [(machines, members) for _, _, machines, members in scored[:limit]]


def objective_lower_bound(compiled: Compiled, makespan: int | None = None) -> int:
    """A lower bound on the weighted objective: the sum of bounds on each of its terms.

    ``makespan`` is ``makespan_lower_bound(compiled)`` when the caller has it (it takes about
    a second on 3,000 steps).
    """
    weights = compiled.problem.objective
    bound = 0
    if weights.cost or weights.co2:
        bound += cheapest_chains(compiled)[0]
    if makespan is None:
        makespan = makespan_lower_bound(compiled)
    bound += weights.makespan * makespan
    if weights.tardiness:
        head, tail = heads_and_tails(compiled)
        for j, job in enumerate(compiled.problem.jobs):
            ops = compiled.job_ops[j]
            if job.due is None or not ops:
                continue
            finish = max(head[i] + tail[i] for i in ops)
            bound += weights.tardiness * job.weight * max(0, finish - job.due)
    return bound
