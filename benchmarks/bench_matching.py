"""Benchmark of the matching engine: FJSP families, generated instances, the marketplace.

Run from the repository root: ``python benchmarks/bench_matching.py [--quick] [--part P]``.
Each instance is solved, in the same run, by three solvers given the same time and 2
workers: the textbook CP-SAT model (``bench_matching_textbook.py``), the previous engine
(``SolveParams(engine="previous")``: CP-SAT with the greedy hint, no tabu search, no extra
bounds) and the engine (the portfolio: tabu search, CP-SAT, LNS, lower bounds). Gaps are
to the best known makespan (BKS, ``tests/data/fjsp/README.md``) or, for generated
instances, the change against the textbook model; the marketplace problem is measured
against its lower bound. Every engine schedule is validated; an invalid one is reported.
Parts: ``brandimarte`` (10 s and 60 s), ``others`` (10 s), ``generated`` (20x10, 40x20,
100x30 at 10 s), ``marketplace`` (2, 10 and 60 s). ``--quick``: a few cases at 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching_textbook import solve_textbook

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.generate import random_fjsp, random_marketplace
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
ENGINES = ("previous", "portfolio")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def _run(problem: Problem, seconds: float, workers: int, engine: str) -> tuple[Plan, float, bool]:
    started = time.perf_counter()
    params = SolveParams(time_limit_s=seconds, workers=workers, seed=0, engine=engine)  # type: ignore[arg-type]
    plan = solve(problem, params)
    elapsed = time.perf_counter() - started
    return plan, elapsed, not validate(problem, plan)


def _gap(value: float, reference: float) -> float:
    return 100.0 * (value - reference) / reference


def bench_fjsp(
    problems: list[tuple[str, Problem, int | None]], limits: list[float], workers: int
) -> dict[tuple[str, float], list[float]]:
    """One row per instance and limit: textbook, previous engine, engine; gaps to the BKS.

    Without a BKS (generated instances) the gap is taken to the textbook model's makespan.
    Returns the gaps per (solver, limit).
    """
    print(f"({_load()} at the start)\n")
    print(
        "| instance | limit | BKS | textbook | gap | previous | gap | engine | LB | status "
        "| gap | time |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    gaps: dict[tuple[str, float], list[float]] = {}
    for name, problem, bks in problems:
        for s in limits:
            textbook, _ = solve_textbook(problem, s, workers)
            reference = bks if bks is not None else textbook
            cells = [f"| {name} | {s:g} s | {bks if bks is not None else '-'} |"]
            if textbook is None or reference is None:
                cells.append(" none | |")
            else:
                gaps.setdefault(("textbook", s), []).append(_gap(textbook, reference))
                cells.append(f" {textbook} | {_gap(textbook, reference):.1f} % |")
            for engine in ENGINES:
                plan, elapsed, valid = _run(problem, s, workers, engine)
                if not valid or not plan.has_schedule:
                    cells.append(" INVALID | |" if engine == "previous" else " INVALID | | | | |")
                    continue
                gap = _gap(plan.makespan, reference) if reference else float("nan")
                gaps.setdefault((engine, s), []).append(gap)
                if engine == "previous":
                    cells.append(f" {plan.makespan} | {gap:.1f} % |")
                else:
                    cells.append(
                        f" **{plan.makespan}** | {plan.lower_bound} | {plan.status} |"
                        f" {gap:.1f} % | {elapsed:.1f} s |"
                    )
            print("".join(cells), flush=True)
    print()
    for (solver, s), values in sorted(gaps.items(), key=lambda item: (item[0][1], item[0][0])):
        known = [v for v in values if v == v]  # without a reference (NaN) no gap
        if known:
            print(f"mean gap at {s:g} s, {solver}: {statistics.fmean(known):.2f} %")
    print(f"\n({_load()} at the end)\n", flush=True)
    return gaps


def named(names: list[str]) -> list[tuple[str, Problem, int | None]]:
    """The stored instances with their best-known makespans."""
    return [(name, to_problem(read_fjsp(DATA / f"{name}.fjs")), BKS[name]) for name in names]


def generated(sizes: list[tuple[int, int]]) -> list[tuple[str, Problem, int | None]]:
    """Seeded random instances (``random_fjsp``), no best known value."""
    return [(f"random {j}x{m}", random_fjsp(j, m, seed=0), None) for j, m in sizes]


def bench_marketplace(limits: list[float], workers: int) -> None:
    """Seeded marketplace problem: objective and lower bound per limit, both engines."""
    problem = random_marketplace(seed=0)
    steps = sum(len(j.steps) for j in problem.jobs)
    print(
        f"marketplace seed 0: {len({m.workshop for m in problem.machines})} workshops, "
        f"{len(problem.machines)} machines, {len(problem.jobs)} jobs, {steps} steps, "
        "windows, bookings and transport; objective = cost + 20 x tardiness + makespan"
    )
    print(f"({_load()} at the start)\n")
    started = time.perf_counter()
    first = greedy(problem)
    first_time = time.perf_counter() - started
    assert not validate(problem, first), "invalid greedy schedule on the marketplace problem"
    print(
        "| solver | time limit | wall time | status | objective | lower bound | gap to bound "
        "| cost | tardiness | makespan |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| greedy (first plan) | - | {first_time:.2f} s | {first.status} | {first.objective} |"
        f" - | - | {first.cost} | {first.tardiness} | {first.makespan} |",
        flush=True,
    )
    for s in limits:
        for engine in ENGINES:
            plan, elapsed, valid = _run(problem, s, workers, engine)
            status = plan.status if valid else "INVALID"
            gap = "-"
            if plan.lower_bound and plan.objective is not None:
                gap = f"{_gap(plan.objective, plan.lower_bound):.1f} %"
            label = "previous engine" if engine == "previous" else "**engine**"
            print(
                f"| {label} | {s:g} s | {elapsed:.1f} s | {status} | {plan.objective} |"
                f" {plan.lower_bound} | {gap} | {plan.cost} | {plan.tardiness} | {plan.makespan} |",
                flush=True,
            )
    print(f"\n({_load()} at the end)\n")


def main() -> None:
    """Run the benchmark (all of it, some parts, or the ``--quick`` smoke check)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few cases at 2 s")
    parser.add_argument(
        "--part",
        action="append",
        choices=["brandimarte", "others", "generated", "marketplace"],
        help="run only this part (repeatable)",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"# Matching benchmark ({args.workers} workers)\n")
    if args.quick:
        bench_fjsp(
            named(["brandimarte/Mk01", "brandimarte/Mk10", "kacem/Kacem1"]) + generated([(20, 10)]),
            [2.0],
            args.workers,
        )
        bench_marketplace([2.0], args.workers)
        return
    parts = args.part or ["brandimarte", "others", "generated", "marketplace"]
    if "brandimarte" in parts:
        print("## Brandimarte\n")
        bench_fjsp(named(BRANDIMARTE), [10.0, 60.0], args.workers)
    if "others" in parts:
        print("## Hurink, Barnes, Dauzere, Kacem\n")
        bench_fjsp(named(OTHERS), [10.0], args.workers)
    if "generated" in parts:
        print("## Generated (gap = against the textbook model)\n")
        bench_fjsp(generated([(20, 10), (40, 20), (100, 30)]), [10.0], args.workers)
    if "marketplace" in parts:
        print("## Marketplace\n")
        bench_marketplace([2.0, 10.0, 60.0], args.workers)


if __name__ == "__main__":
    main()
