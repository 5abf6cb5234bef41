"""Benchmark of the matching engine against best-known FJSP makespans and a marketplace problem.

Run from the repository root: ``python benchmarks/bench_matching.py [--quick]``. Prints
markdown tables: per instance the greedy makespan (the in-run baseline), the engine's
makespan at 10 s (and 60 s for Brandimarte) with 2 workers, the best known (BKS) and the
gaps; then, for a seeded marketplace-sized problem, the time to the first plan and the
objective after 5, 30 and 60 s. Every schedule is validated; an invalid one is reported as
such and counts as a failure. ``--quick`` runs a few instances at 2 s as a smoke check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.generate import random_marketplace
from matching.engine.greedy import greedy
from matching.engine.problem import Plan, Problem, SolveParams
from matching.engine.solver import solve
from matching.engine.validate import validate
from tests.data import FJSP as DATA

# Best known makespans (upper bounds) from tests/data/fjsp/README.md; "=" there means proven.
BKS: dict[str, int] = {
    "brandimarte/Mk01": 40,
    "brandimarte/Mk02": 26,
    "brandimarte/Mk03": 204,
    "brandimarte/Mk04": 60,
    "brandimarte/Mk05": 172,
    "brandimarte/Mk06": 57,
    "brandimarte/Mk07": 139,
    "brandimarte/Mk08": 523,
    "brandimarte/Mk09": 307,
    "brandimarte/Mk10": 195,
    "hurink/edata/mt06": 55,
    "hurink/edata/mt10": 871,
    "hurink/edata/la01": 609,
    "hurink/edata/la16": 892,
    "hurink/edata/la21": 1009,
    "hurink/rdata/mt06": 47,
    "hurink/rdata/mt10": 686,
    "hurink/rdata/la01": 570,
    "hurink/rdata/la16": 717,
    "hurink/rdata/la21": 835,
    "hurink/vdata/mt06": 47,
    "hurink/vdata/mt10": 655,
    "hurink/vdata/la01": 570,
    "hurink/vdata/la16": 717,
    "hurink/vdata/la21": 801,
    "dauzere/01a": 2505,
    "dauzere/04a": 2503,
    "dauzere/07a": 2276,
    "dauzere/13a": 2252,
    "barnes/mt10c1": 927,
    "barnes/setb4c9": 914,
    "barnes/seti5c12": 1169,
    "kacem/Kacem1": 11,
    "kacem/Kacem2": 11,
}
BRANDIMARTE = [f"brandimarte/Mk{i:02d}" for i in range(1, 11)]
OTHERS = [name for name in BKS if not name.startswith("brandimarte/")]


def _run(problem: Problem, seconds: float, workers: int) -> tuple[Plan, float, bool]:
    started = time.perf_counter()
    plan = solve(problem, SolveParams(time_limit_s=seconds, workers=workers, seed=0))
    elapsed = time.perf_counter() - started
    return plan, elapsed, not validate(problem, plan)


def _gap(makespan: int, bks: int) -> float:
    return 100.0 * (makespan - bks) / bks


def bench_fjsp(names: list[str], limits: list[float], workers: int) -> list[float]:
    """Print one table row per instance; return the gap at each limit, averaged."""
    head = "| instance | BKS | greedy | gap |"
    rule = "| --- | ---: | ---: | ---: |"
    for s in limits:
        head += f" {s:g} s | LB | status | gap | time |"
        rule += " ---: | ---: | --- | ---: | ---: |"
    print(head)
    print(rule)
    gaps: dict[float, list[float]] = {s: [] for s in limits}
    for name in names:
        problem = to_problem(read_fjsp(DATA / f"{name}.fjs"))
        bks = BKS[name]
        base = greedy(problem)
        assert not validate(problem, base), f"invalid greedy schedule on {name}"
        row = f"| {name} | {bks} | {base.makespan} | {_gap(base.makespan, bks):.1f} % |"
        for s in limits:
            plan, elapsed, valid = _run(problem, s, workers)
            if not valid:
                row += " INVALID | | | | |"
                gaps[s].append(float("nan"))
                continue
            gap = _gap(plan.makespan, bks)
            gaps[s].append(gap)
            row += (
                f" {plan.makespan} | {plan.lower_bound} | {plan.status} | {gap:.1f} % |"
                f" {elapsed:.1f} s |"
            )
        print(row, flush=True)
    means = [statistics.fmean(gaps[s]) for s in limits]
    print()
    for s, mean in zip(limits, means, strict=True):
        print(f"mean gap at {s:g} s: {mean:.2f} %")
    print(flush=True)
    return means


def bench_marketplace(limits: list[float], workers: int) -> None:
    """Seeded marketplace problem: first plan time and objective after each limit."""
    problem = random_marketplace(seed=0)
    steps = sum(len(j.steps) for j in problem.jobs)
    print(
        f"marketplace seed 0: {len({m.workshop for m in problem.machines})} workshops, "
        f"{len(problem.machines)} machines, {len(problem.jobs)} jobs, {steps} steps, "
        "windows, bookings and transport; objective = cost + 20 x tardiness + makespan"
    )
    print()
    started = time.perf_counter()
    first = greedy(problem)
    first_time = time.perf_counter() - started
    assert not validate(problem, first), "invalid greedy schedule on the marketplace problem"
    print(
        "| solver | time limit | wall time | status | objective | lower bound | cost | "
        "tardiness | makespan |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| greedy (first plan) | - | {first_time:.2f} s | {first.status} | {first.objective} |"
        f" - | {first.cost} | {first.tardiness} | {first.makespan} |",
        flush=True,
    )
    for s in limits:
        plan, elapsed, valid = _run(problem, s, workers)
        status = plan.status if valid else "INVALID"
        print(
            f"| {plan.solver} | {s:g} s | {elapsed:.1f} s | {status} | {plan.objective} |"
            f" {plan.lower_bound} | {plan.cost} | {plan.tardiness} | {plan.makespan} |",
            flush=True,
        )
    print()


def main() -> None:
    """Run the benchmark (all of it, or the ``--quick`` smoke check)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few instances at 2 s")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"# Matching benchmark ({args.workers} workers)\n")
    if args.quick:
        bench_fjsp(
            ["brandimarte/Mk01", "brandimarte/Mk04", "kacem/Kacem1", "hurink/edata/mt06"],
            [2.0],
            args.workers,
        )
        bench_marketplace([2.0], args.workers)
        return
    print("## Brandimarte\n")
    bench_fjsp(BRANDIMARTE, [10.0, 60.0], args.workers)
    print("## Hurink, Barnes, Dauzere, Kacem\n")
    bench_fjsp(OTHERS, [10.0], args.workers)
    print("## Marketplace\n")
    bench_marketplace([5.0, 30.0, 60.0], args.workers)


if __name__ == "__main__":
    main()
