"""Independent check of a plan against every rule of its problem.

Written apart from the CP-SAT model so that a modelling error cannot hide itself: the
solver calls it before returning, and every test calls it on every schedule.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from matching.engine.problem import NO_LEG, Assignment, Plan, Problem


def validate(problem: Problem, plan: Plan) -> list[str]:
    """Every rule ``plan`` breaks, in words; an empty list means the schedule is valid.

    A plan without a schedule (``infeasible``/``unknown``) is valid when it has no
    assignments. Rules: each step assigned once to one of its capable machines for exactly
    that alternative's duration; not before the job's release; after its predecessors plus
    the transport leg between their workshops; no two steps on a machine at once; nothing
    during a booking or outside the machine's windows; hard deadlines met; totals correct.
    """
    if not plan.has_schedule:
        return ["a plan without a schedule carries assignments"] if plan.assignments else []
    errors: list[str] = []
    machines = {m.id: m for m in problem.machines}
    by_key: dict[tuple[str, str], Assignment] = {}
    for a in plan.assignments:
        key = (a.job, a.step)
        if key in by_key:
            errors.append(f"step {a.step} of job {a.job} is assigned twice")
        by_key[key] = a
    known = {(j.id, s.id) for j in problem.jobs for s in j.steps}
    errors += [
        f"assignment to unknown step {s} of job {j}" for j, s in by_key if (j, s) not in known
    ]

    def workshop(machine_id: str) -> str:
        return machines[machine_id].workshop

    completion: dict[str, int] = {}
    cost = co2 = 0
    for job in problem.jobs:
        previous: Assignment | None = None
        for step in job.steps:
            a = by_key.get((job.id, step.id))
            if a is None:
                errors.append(f"step {step.id} of job {job.id} is not assigned")
                previous = None
                continue
            # a machine may be offered twice (two speeds): the one of the assignment's length
            offered = [x for x in step.alternatives if x.machine == a.machine]
            alt = next((x for x in offered if x.duration == a.end - a.start), None)
            alt = alt or next(iter(offered), None)
            if alt is None or a.machine not in machines:
                errors.append(
                    f"step {step.id} of job {job.id} is on {a.machine}, which cannot do it"
                )
                previous = None
                continue
            cost += alt.cost
            co2 += alt.co2
            if a.end - a.start != alt.duration:
                errors.append(
                    f"step {step.id} of job {job.id} lasts {a.end - a.start} min on {a.machine}, "
                    f"not {alt.duration}"
                )
            if a.start < job.release or a.start < 0:
                errors.append(f"step {step.id} of job {job.id} starts before its release")
            if previous is not None:
                leg = problem.transport.leg(workshop(previous.machine), workshop(a.machine))
                cost += leg.cost
                co2 += leg.co2
                if a.start < previous.end + leg.time:
                    errors.append(
                        f"step {step.id} of job {job.id} starts at {a.start}, before its "
                        f"predecessor ends at {previous.end} plus {leg.time} min of transport"
                    )
            previous = a
        if previous is not None and len(job.steps) > 0 and previous.step == job.steps[-1].id:
            leg = job.delivery.get(workshop(previous.machine), NO_LEG)
            cost += leg.cost
            co2 += leg.co2
            completion[job.id] = previous.end + leg.time
    for job in problem.jobs:
        if not job.steps or not job.waits_for:
            continue
        first = by_key.get((job.id, job.steps[0].id))
        for other_id in job.waits_for:
            other = next((j for j in problem.jobs if j.id == other_id), None)
            if other is None or not other.steps or first is None or first.machine not in machines:
                continue
            last = by_key.get((other.id, other.steps[-1].id))
            if last is None or last.machine not in machines:
                continue
            leg = problem.transport.leg(workshop(last.machine), workshop(first.machine))
            cost += leg.cost
            co2 += leg.co2
            if first.start < last.end + leg.time:
                errors.append(
                    f"job {job.id} starts at {first.start}, before job {other.id} is finished "
                    f"at {last.end} and moved ({leg.time} min)"
                )
    per_machine: dict[str, list[Assignment]] = defaultdict(list)
    for a in by_key.values():
        if a.machine in machines:
            per_machine[a.machine].append(a)
    for machine_id, items in per_machine.items():
        machine = machines[machine_id]
        items.sort(key=lambda a: (a.start, a.end))
        for x, y in itertools.pairwise(items):
            if y.start < x.end and x.end > x.start and y.end > y.start:
                errors.append(
                    f"machine {machine_id} runs step {x.step} of job {x.job} and step {y.step} "
                    f"of job {y.job} at the same time"
                )
        for a in items:
            if a.end <= a.start:
                continue
            for s, e in machine.booked:
                if a.start < e and s < a.end:
                    errors.append(
                        f"step {a.step} of job {a.job} overlaps booking [{s}, {e}) on {machine_id}"
                    )
            if machine.windows is not None and not any(
                s <= a.start and a.end <= e for s, e in machine.windows
            ):
                errors.append(
                    f"step {a.step} of job {a.job} on {machine_id} is outside its windows"
                )
    makespan = max(completion.values(), default=0)
    tardiness = 0
    for job in problem.jobs:
        done = completion.get(job.id)
        if done is None:
            continue
        if job.deadline is not None and done > job.deadline:
            errors.append(f"job {job.id} completes at {done}, after its deadline {job.deadline}")
        if job.due is not None and done > job.due:
            tardiness += job.weight * (done - job.due)
    if not errors:
        w = problem.objective
        objective = w.makespan * makespan + w.cost * cost + w.tardiness * tardiness + w.co2 * co2
        reported = (plan.makespan, plan.cost, plan.co2, plan.tardiness, plan.objective)
        actual = (makespan, cost, co2, tardiness, objective)
        if reported != actual:
            errors.append(
                f"totals (makespan, cost, co2, tardiness, objective) are {reported}, "
                f"the schedule gives {actual}"
            )
        if plan.lower_bound is not None and plan.lower_bound > objective:
            errors.append(f"lower bound {plan.lower_bound} exceeds the objective {objective}")
    return errors
