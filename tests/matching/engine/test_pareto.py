"""Quote options: cheapest, fastest, lowest CO2 and balanced differ sensibly and explain."""

from __future__ import annotations

from dataclasses import replace

from matching.engine.generate import random_marketplace
from matching.engine.pareto import quote_options
from matching.engine.problem import Objective, SolveParams
from matching.engine.validate import validate
from tests.matching.engine.conftest import two_workshop_problem


def test_cheapest_costs_least_and_fastest_delivers_first() -> None:
    problem = two_workshop_problem(Objective(makespan=1))
    options = quote_options(problem, SolveParams(time_limit_s=4.0))
    labels = {label: o for o in options for label in o.labels}
    assert {"cheapest", "fastest", "lowest_co2", "balanced"} <= set(labels)
    for option in options:
        assert validate(replace(problem, objective=option.objective), option.plan) == []
    assert all(labels["cheapest"].price <= o.price for o in options)
    assert all(labels["fastest"].delivery <= o.delivery for o in options)
    assert all(labels["lowest_co2"].co2 <= o.co2 for o in options)
    assert labels["cheapest"].price < labels["fastest"].price
    assert labels["fastest"].delivery < labels["cheapest"].delivery


def test_identical_plans_are_offered_once_with_all_their_labels() -> None:
    problem = two_workshop_problem()
    options = quote_options(problem, SolveParams(time_limit_s=4.0))
    plans = [o.plan.assignments for o in options]
    assert len(plans) == len(set(plans))
    assert sum(len(o.labels) for o in options) == 4


def test_each_step_explains_its_machine_against_the_runner_up() -> None:
    problem = random_marketplace(seed=5, workshops=6, machines=15, orders=4)
    options = quote_options(problem, SolveParams(time_limit_s=4.0))
    assert options
    for option in options:
        assert validate(replace(problem, objective=option.objective), option.plan) == []
        assert len(option.steps) == sum(len(j.steps) for j in problem.jobs)
        for step in option.steps:
            assert step.machine in step.reason
            if step.runner_up is not None:
                assert "runner-up" in step.reason
