"""The greedy list scheduler: valid, deterministic, calendar-aware and reasonably good."""

from __future__ import annotations

from pathlib import Path

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.generate import random_marketplace
from matching.engine.greedy import greedy
from matching.engine.problem import Alternative, Problem, Resource, Routing, Step
from matching.engine.validate import validate

BKS = [40, 26, 204, 60, 172, 57, 139, 523, 307, 195]


def test_greedy_schedules_every_brandimarte_instance_validly_within_15_percent(
    data_dir: Path,
) -> None:
    gaps = []
    for i, bks in enumerate(BKS, start=1):
        problem = to_problem(read_fjsp(data_dir / "brandimarte" / f"Mk{i:02d}.fjs"))
        plan = greedy(problem)
        assert plan.solver == "greedy"
        assert validate(problem, plan) == []
        gaps.append((plan.makespan - bks) / bks)
    assert sum(gaps) / len(gaps) < 0.15


def test_greedy_is_deterministic() -> None:
    problem = random_marketplace(seed=1, workshops=8, machines=20, orders=10)
    assert greedy(problem).assignments == greedy(problem).assignments


def test_greedy_respects_windows_bookings_and_transport_on_a_marketplace_problem() -> None:
    problem = random_marketplace(seed=2, workshops=10, machines=30, orders=20)
    plan = greedy(problem)
    assert plan.status == "feasible"
    assert validate(problem, plan) == []


def test_greedy_reports_a_step_that_fits_in_no_window() -> None:
    problem = Problem(
        jobs=(Routing("j", (Step("s", (Alternative("m", 120),)),)),),
        machines=(Resource("m", windows=((0, 60), (100, 160))),),
    )
    plan = greedy(problem)
    assert plan.status == "infeasible"
    assert plan.issues[0].code == "no_available_machine"
