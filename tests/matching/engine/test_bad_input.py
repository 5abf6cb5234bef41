"""Malformed problems get an ``infeasible`` plan that names the fault, never "no plan in time".

Found by feeding the engine what a buggy adapter or a hostile API caller could send: two jobs
with one id, two steps of a job with one id, two machines with one id, negative durations or
release times. Each used to come back as ``unknown`` / ``no_solution_found`` (or, for the
machines, as a plan that silently merged both machines into one).
"""

from __future__ import annotations

import os

import pytest

from matching.engine.generate import random_fjsp
from matching.engine.problem import (
    Alternative,
    Objective,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
)
from matching.engine.solver import solve
from matching.engine.validate import validate

QUICK = SolveParams(time_limit_s=1.0, workers=1, seed=0)


def _job(job_id: str, *durations: int, release: int = 0, step_ids: tuple[str, ...] = ()) -> Routing:
    ids = step_ids or tuple(f"{job_id}-{k}" for k in range(len(durations)))
    steps = tuple(Step(s, (Alternative("m", d),)) for s, d in zip(ids, durations, strict=True))
    return Routing(job_id, steps, release=release)


@pytest.mark.parametrize(
    ("jobs", "machines", "fault"),
    [
        ((_job("a", 5), _job("a", 7)), ("m",), "a"),
        ((_job("a", 5, 3, step_ids=("s", "s")),), ("m",), "s"),
        ((_job("a", 5), _job("b", 7)), ("m", "m"), "m"),
        ((_job("a", -5),), ("m",), "-5"),
        ((_job("a", 5, release=-100),), ("m",), "-100"),
    ],
    ids=[
        "duplicate-job",
        "duplicate-step",
        "duplicate-machine",
        "negative-duration",
        "negative-release",
    ],
)
def test_malformed_problem_is_infeasible_with_a_reason(jobs, machines, fault):
    problem = Problem(jobs, tuple(Resource(m) for m in machines))
    plan = solve(problem, QUICK)
    assert plan.status == "infeasible"
    assert [i.code for i in plan.issues] == ["invalid_input"]
    assert fault in plan.issues[0].message


def test_a_step_longer_than_the_horizon_is_named_as_such():
    problem = Problem((_job("a", 2**40),), (Resource("m"),))
    plan = solve(problem, QUICK)
    assert plan.status == "infeasible"
    assert [i.code for i in plan.issues] == ["invalid_input"]
    assert "longer than the planning horizon" in plan.issues[0].message


def test_a_spent_budget_returns_the_quick_plans_without_building_a_whole_model(monkeypatch):
    """3,000 steps with 0.01 s: the greedy and tabu plans are the answer, no CP-SAT model.

    It returned after 2.3 s: the makespan bound was computed twice and a CP-SAT model of the
    whole instance was built after the budget was spent. (What it costs in seconds is the
    benchmark's to say; here, what it does.)
    """
    from matching.engine import solver as solver_module

    problem = random_fjsp(100, 30, seed=3)
    bounds_computed = []
    compute_bound = solver_module.makespan_lower_bound

    def counted_bound(compiled):
        bounds_computed.append(1)
        return compute_bound(compiled)

    def no_model(*args, **kwargs):
        raise AssertionError("a CP-SAT model was built after the budget was spent")

    monkeypatch.setattr(solver_module, "makespan_lower_bound", counted_bound)
    monkeypatch.setattr(solver_module, "CpSatModel", no_model)
    plan = solve(problem, SolveParams(time_limit_s=0.01, workers=2, seed=7))
    assert plan.has_schedule
    assert validate(problem, plan) == []
    assert plan.lower_bound is not None
    assert plan.lower_bound <= plan.makespan
    assert len(bounds_computed) == 1


def test_a_machine_offered_twice_for_one_step_at_two_speeds_can_run_the_faster_one():
    """The validator took the first alternative of the machine and rejected CP-SAT's optimum
    (3 min at cost 5: objective 8), so the solve returned the greedy plan (objective 11)."""
    fast_and_slow = (Alternative("m", 10, cost=1), Alternative("m", 3, cost=5))
    problem = Problem(
        (Routing("a", (Step("s", fast_and_slow),)),),
        (Resource("m"),),
        objective=Objective(makespan=1, cost=1),
    )
    plan = solve(problem, QUICK)
    assert validate(problem, plan) == []
    assert plan.status == "optimal"
    assert plan.objective == 8
    assert (plan.makespan, plan.cost) == (3, 5)


@pytest.mark.parametrize("limit", [float("nan"), float("inf"), float("-inf")])
def test_a_time_limit_that_is_not_a_number_of_seconds_is_refused(limit):
    with pytest.raises(ValueError, match="finite number of seconds"):
        SolveParams(time_limit_s=limit)


def test_threads_never_exceed_the_cores_unless_the_plan_must_not_depend_on_them():
    """64 workers on a 2-core machine made a 2 s solve take 2.97 s (threads time-sliced)."""
    cores = os.cpu_count() or 1
    assert SolveParams(workers=64).threads == min(64, cores)
    assert SolveParams(workers=0).threads == 1
    assert SolveParams(workers=-3).threads == 1
    assert SolveParams(workers=64, deterministic=True).threads == 64
