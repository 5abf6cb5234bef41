"""The textbook CP-SAT model of the flexible job shop, the benchmark's outside baseline.

As in the OR-Tools example: per (operation, machine) an optional interval with its own
start and end linked to the operation's by ``only_enforce_if``, one no-overlap per
machine, the horizon the sum of the longest durations, no hint, minimise the makespan.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from matching.engine.problem import Problem


def solve_textbook(problem: Problem, seconds: float, workers: int) -> tuple[int | None, int]:
    """``(makespan or None, proven lower bound)`` of the textbook model after ``seconds``."""
    model = cp_model.CpModel()
    horizon = sum(max(a.duration for a in s.alternatives) for j in problem.jobs for s in j.steps)
    per_machine: dict[str, list[cp_model.IntervalVar]] = {}
    ends = []
    for job in problem.jobs:
        previous_end = None
        for step in job.steps:
            start = model.new_int_var(0, horizon, "")
            end = model.new_int_var(0, horizon, "")
            presences = []
            for alt in step.alternatives:
                present = model.new_bool_var("")
                s = model.new_int_var(0, horizon, "")
                e = model.new_int_var(0, horizon, "")
                interval = model.new_optional_interval_var(s, alt.duration, e, present, "")
                per_machine.setdefault(alt.machine, []).append(interval)
                model.add(start == s).only_enforce_if(present)
                model.add(end == e).only_enforce_if(present)
                presences.append(present)
            model.add_exactly_one(presences)
            if previous_end is not None:
                model.add(start >= previous_end)
            previous_end = end
        ends.append(previous_end)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    found = int(solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return found, int(solver.best_objective_bound + 0.5 - 1e-6)
