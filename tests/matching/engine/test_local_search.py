"""Tabu search, lower bounds, sub-problem neighbourhoods and the portfolio around CP-SAT."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine.bounds import jackson_preemptive, makespan_lower_bound, objective_lower_bound
from matching.engine.compiled import Compiled
from matching.engine.fjsp import FjspInstance, read_fjsp, to_problem
from matching.engine.generate import random_marketplace
from matching.engine.greedy import cheapest_routing_choice, greedy_choice, plan_from_choice
from matching.engine.problem import Problem, SolveParams
from matching.engine.solver import solve
from matching.engine.subproblem import improve_by_subproblems
from matching.engine.tabu import improve, makespan_of, tabu_applies
from matching.engine.validate import validate

# best known makespans (proven where equal to the lower bound), tests/data/fjsp/README.md
BEST_KNOWN = {
    "brandimarte/Mk01": 40,
    "brandimarte/Mk05": 172,
    "brandimarte/Mk06": 57,
    "brandimarte/Mk07": 139,
    "brandimarte/Mk10": 195,
    "hurink/rdata/la21": 835,
    "dauzere/13a": 2252,
    "barnes/seti5c12": 1169,
    "kacem/Kacem2": 11,
}


@st.composite
def fjsp_instances(draw: st.DrawFn, max_jobs: int = 4, max_ops: int = 3) -> Problem:
    """Small random flexible job shops: 2-4 machines, 1-3 alternatives per operation."""
    n_machines = draw(st.integers(2, 4))
    jobs = []
    for _ in range(draw(st.integers(2, max_jobs))):
        ops = []
        for _ in range(draw(st.integers(1, max_ops))):
            machines = draw(
                st.lists(st.integers(0, n_machines - 1), min_size=1, max_size=3, unique=True)
            )
            ops.append(tuple((m, draw(st.integers(1, 9))) for m in machines))
        jobs.append(tuple(ops))
    return to_problem(FjspInstance(n_machines, tuple(jobs), "random"))


def _schedule_valid(problem: Problem, compiled: Compiled, choice: list[tuple[int, int]]) -> None:
    plan = plan_from_choice(compiled, choice, "feasible", "tabu", 0.0)
    assert validate(problem, plan) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fjsp_instances(max_jobs=6, max_ops=4), st.integers(0, 1000))
def test_tabu_returns_valid_schedules_never_worse_and_the_same_for_the_same_seed(
    problem: Problem, seed: int
) -> None:
    compiled = Compiled(problem)
    assert tabu_applies(compiled)
    start = greedy_choice(compiled)
    assert start is not None
    first = improve(compiled, start, seed=seed, iterations=300)
    _schedule_valid(problem, compiled, first)
    assert makespan_of(compiled, first) <= makespan_of(compiled, start)
    assert makespan_of(compiled, first) >= makespan_lower_bound(compiled)
    assert improve(compiled, start, seed=seed, iterations=300) == first


def _brute_force(problem: Problem) -> int:
    """Optimum by enumerating machine choices and priority orders (tiny sizes only)."""
    compiled = Compiled(problem)
    ops = compiled.ops
    best = 10**9
    for alts in itertools.product(*[range(len(op.alts)) for op in ops]):
        for order in itertools.permutations(range(len(ops))):
            end = [0] * len(ops)
            free = [0] * len(compiled.machine_ids)
            placed: set[int] = set()
            for i in order:
                if any(p not in placed for p in ops[i].preds):
                    break
                a = ops[i].alts[alts[i]]
                start = max([free[a.machine]] + [end[p] for p in ops[i].preds])
                end[i] = start + a.duration
                free[a.machine] = end[i]
                placed.add(i)
            else:
                best = min(best, max(end))
    return best


@settings(max_examples=30, deadline=None)
@given(fjsp_instances(max_jobs=3, max_ops=2))
def test_lower_bound_never_exceeds_the_optimum_of_tiny_instances(problem: Problem) -> None:
    if len(Compiled(problem).ops) > 5:
        return
    assert makespan_lower_bound(Compiled(problem)) <= _brute_force(problem)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 9), st.integers(0, 20)), max_size=6))
def test_jackson_bound_never_exceeds_the_best_one_machine_sequence(
    jobs: list[tuple[int, int, int]],
) -> None:
    best = 0 if not jobs else 10**9
    for order in itertools.permutations(jobs):
        t = worst = 0
        for head, body, tail in order:
            t = max(t, head) + body
            worst = max(worst, t + tail)
        best = min(best, worst)
    assert jackson_preemptive(jobs) <= best


def test_lower_bounds_stay_below_every_best_known_makespan(data_dir: Path) -> None:
    for name, best in BEST_KNOWN.items():
        bound = makespan_lower_bound(Compiled(to_problem(read_fjsp(data_dir / f"{name}.fjs"))))
        assert 0 < bound <= best, name
    # the one-machine bound proves Mk08's and Dauzere 01a's optimum on its own
    assert makespan_lower_bound(Compiled(to_problem(read_fjsp(data_dir / "dauzere/01a.fjs")))) == (
        2505
    )


def test_tabu_shortens_the_greedy_schedule_of_mk10(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "brandimarte" / "Mk10.fjs"))
    compiled = Compiled(problem)
    start = greedy_choice(compiled)
    assert start is not None
    better = improve(compiled, start, seed=0, iterations=6_000)
    _schedule_valid(problem, compiled, better)
    assert makespan_of(compiled, better) <= 0.93 * makespan_of(compiled, start)


def test_portfolio_stops_as_soon_as_the_lower_bound_is_met(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "kacem" / "Kacem2.fjs"))
    started = time.perf_counter()
    plan = solve(problem, SolveParams(time_limit_s=20.0))
    assert validate(problem, plan) == []
    assert (plan.status, plan.makespan, plan.lower_bound) == ("optimal", 11, 11)
    assert time.perf_counter() - started < 10.0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fjsp_instances(max_jobs=6, max_ops=4))
def test_portfolio_plans_are_valid_bounded_and_no_longer_than_the_greedy(
    problem: Problem,
) -> None:
    plan = solve(problem, SolveParams(time_limit_s=1.0, workers=2))
    assert validate(problem, plan) == []
    assert plan.lower_bound is not None
    assert plan.lower_bound <= plan.makespan
    assert plan.makespan <= greedy_makespan(problem)


def greedy_makespan(problem: Problem) -> int:
    compiled = Compiled(problem)
    choice = greedy_choice(compiled)
    assert choice is not None
    return makespan_of(compiled, choice)


def test_deterministic_portfolio_gives_the_same_plan_twice(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "brandimarte" / "Mk10.fjs"))
    params = SolveParams(time_limit_s=2.0, deterministic=True, seed=3)
    first = solve(problem, params)
    assert validate(problem, first) == []
    assert solve(problem, params).assignments == first.assignments


def test_subproblem_neighbourhoods_never_worsen_a_marketplace_plan() -> None:
    problem = random_marketplace(seed=4, workshops=8, machines=20, orders=14, days=7)
    compiled = Compiled(problem)
    start = greedy_choice(compiled)
    assert start is not None
    deadline = time.perf_counter() + 4.0
    better = improve_by_subproblems(compiled, start, SolveParams(seed=1), deadline)
    plan = plan_from_choice(compiled, better, "feasible", "cp-sat", 0.0)
    assert validate(problem, plan) == []
    assert compiled.totals(better).objective <= compiled.totals(start).objective


def test_cheapest_routing_start_is_valid_and_cheaper_on_the_marketplace() -> None:
    problem = random_marketplace(seed=0)
    compiled = Compiled(problem)
    cheap = cheapest_routing_choice(compiled)
    first = greedy_choice(compiled)
    assert cheap is not None
    assert first is not None
    plan = plan_from_choice(compiled, cheap, "feasible", "greedy", 0.0)
    assert validate(problem, plan) == []
    assert compiled.totals(cheap).cost < compiled.totals(first).cost


def test_marketplace_solve_is_valid_and_beats_the_greedy() -> None:
    problem = random_marketplace(seed=2, workshops=12, machines=40, orders=20, days=10)
    plan = solve(problem, SolveParams(time_limit_s=6.0))
    assert validate(problem, plan) == []
    first = greedy_choice(Compiled(problem))
    assert first is not None
    assert plan.objective is not None
    assert plan.objective <= Compiled(problem).totals(first).objective
    assert plan.lower_bound is not None
    assert plan.lower_bound <= plan.objective


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_objective_bound_never_exceeds_a_proven_optimum(seed: int) -> None:
    # multi-part orders, windows, bookings and transport; CP-SAT proves these in a second
    problem = random_marketplace(seed=seed, workshops=4, machines=8, orders=4, days=7, shortlist=3)
    exact = solve(problem, SolveParams(time_limit_s=5.0, engine="previous"))
    assert validate(problem, exact) == []
    if exact.status == "optimal":
        assert exact.objective is not None
        assert objective_lower_bound(Compiled(problem)) <= exact.objective
