"""CP-SAT solve: optimality, calendars, transport, due dates, infeasibility, determinism."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine.fjsp import parse_fjsp, read_fjsp, to_problem
from matching.engine.problem import (
    Alternative,
    Leg,
    Objective,
    Plan,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
    Transport,
)
from matching.engine.solver import solve
from matching.engine.validate import validate
from tests.matching.engine.conftest import two_workshop_problem

FAST = SolveParams(time_limit_s=5.0, workers=2, seed=0)


def solved(problem: Problem, params: SolveParams = FAST) -> Plan:
    """Solve and check the schedule with the independent validator."""
    plan = solve(problem, params)
    assert validate(problem, plan) == []
    return plan


def test_kacem1_is_solved_to_its_proven_optimum_of_11(data_dir: Path) -> None:
    plan = solved(to_problem(read_fjsp(data_dir / "kacem" / "Kacem1.fjs")))
    assert plan.status == "optimal"
    assert plan.solver in ("cp-sat", "tabu")  # the tabu search meets the lower bound first
    assert plan.makespan == 11
    assert plan.lower_bound == 11


def test_mk01_reaches_the_proven_optimum_of_40(data_dir: Path) -> None:
    plan = solved(to_problem(read_fjsp(data_dir / "brandimarte" / "Mk01.fjs")))
    assert plan.makespan == 40
    assert plan.status == "optimal"


def _brute_force_makespan(jobs: list[list[list[tuple[int, int]]]]) -> int:
    """Optimum by enumerating machine choices and job orders per machine (tiny sizes only)."""
    ops = [(j, o) for j, job in enumerate(jobs) for o in range(len(job))]
    best = 10**9
    for machines in itertools.product(*[range(len(jobs[j][o])) for j, o in ops]):
        chosen = dict(zip(ops, machines, strict=True))
        for order in itertools.permutations(ops):
            # semi-active schedule for this priority order (respecting job order)
            done: dict[tuple[int, int], int] = {}
            free: dict[int, int] = {}
            pending = list(order)
            while pending:
                for op in pending:
                    j, o = op
                    if o == 0 or (j, o - 1) in done:
                        break
                pending.remove(op)
                m, d = jobs[j][o][chosen[op]]
                start = max(free.get(m, 0), done.get((j, o - 1), 0))
                done[op] = start + d
                free[m] = start + d
            best = min(best, max(done.values()))
    return best


def test_tiny_instance_matches_the_brute_force_optimum() -> None:
    jobs = [
        [[(0, 3), (1, 5)], [(1, 2)]],
        [[(0, 2)], [(0, 4), (1, 3)]],
        [[(1, 4), (0, 6)]],
    ]
    text = f"{len(jobs)} 2\n" + "\n".join(
        f"{len(job)} "
        + " ".join(f"{len(alts)} " + " ".join(f"{m + 1} {d}" for m, d in alts) for alts in job)
        for job in jobs
    )
    plan = solved(to_problem(parse_fjsp(text)))
    assert plan.status == "optimal"
    assert plan.makespan == _brute_force_makespan(jobs)


def test_every_schedule_respects_transport_gaps() -> None:
    problem = two_workshop_problem(Objective(cost=1))
    plan = solved(problem)
    by_step = plan.by_step()
    for job in problem.jobs:
        for prev, step in zip(job.steps, job.steps[1:], strict=False):
            a, b = by_step[(job.id, prev.id)], by_step[(job.id, step.id)]
            leg = problem.transport.leg(
                problem.workshop_of(a.machine), problem.workshop_of(b.machine)
            )
            assert b.start >= a.end + leg.time


def test_cheapest_plan_mills_at_the_cheap_workshop_and_counts_legs_in_the_cost() -> None:
    plan = solved(two_workshop_problem(Objective(cost=1)))
    assert plan.status == "optimal"
    assert {a.machine for a in plan.assignments if a.step == "mill"} == {"m3"}
    # per job: mill 400 + finish 100 + inspect 80 at B (no leg) + delivery 700
    assert plan.cost == 2 * (400 + 100 + 80 + 700)


def test_steps_fit_inside_windows_and_avoid_bookings() -> None:
    machines = (
        Resource("m1", windows=((0, 100), (200, 300))),
        Resource("m2", booked=((0, 250),)),
    )
    job = Routing("j", (Step("s", (Alternative("m1", 150), Alternative("m2", 20))),))
    short = Routing("k", (Step("s", (Alternative("m1", 60),)),), release=50)
    plan = solved(Problem(jobs=(job, short), machines=machines))
    by_step = plan.by_step()
    assert by_step[("j", "s")].machine == "m2"
    assert by_step[("j", "s")].start >= 250
    assert by_step[("k", "s")].start == 200  # 50..110 would cross the gap at 100
    assert plan.makespan == 270


def test_tardiness_objective_prefers_the_urgent_job() -> None:
    m = (Resource("m"),)
    jobs = (
        Routing("relaxed", (Step("s", (Alternative("m", 50),)),), due=1000),
        Routing("urgent", (Step("s", (Alternative("m", 50),)),), due=50, weight=3),
    )
    plan = solved(Problem(jobs=jobs, machines=m, objective=Objective(tardiness=1)))
    assert plan.by_step()[("urgent", "s")].start == 0
    assert plan.tardiness == 0
    assert plan.status == "optimal"


def test_a_step_without_capable_machines_is_explained() -> None:
    problem = Problem(
        jobs=(Routing("j", (Step("anodize", (), "anodizing"),)),), machines=(Resource("m"),)
    )
    plan = solve(problem, FAST)
    assert plan.status == "infeasible"
    assert plan.assignments == ()
    assert plan.issues[0].code == "no_capable_machine"
    assert "No machine in the network can do step anodizing" in plan.issues[0].message


def test_an_impossible_deadline_reports_the_earliest_possible_delivery() -> None:
    problem = Problem(
        jobs=(
            Routing(
                "j",
                (
                    Step("mill", (Alternative("m1", 100),)),
                    Step("finish", (Alternative("m2", 50),)),
                ),
                deadline=120,
                delivery={"B": Leg(30)},
            ),
        ),
        machines=(Resource("m1", "A"), Resource("m2", "B")),
        transport=Transport({("A", "B"): Leg(20)}),
    )
    plan = solve(problem, FAST)
    assert plan.status == "infeasible"
    assert plan.assignments == ()
    issue = plan.issues[0]
    assert issue.code == "deadline_impossible"
    assert issue.job == "j"
    assert issue.earliest == 100 + 20 + 50 + 30
    assert "200" in issue.message


def test_assembly_waits_for_all_parts_and_their_transport() -> None:
    machines = (Resource("p1", "A"), Resource("p2", "B"), Resource("asm", "C"))
    transport = Transport(
        {("A", "C"): Leg(40, 100), ("B", "C"): Leg(10, 100), ("A", "B"): Leg(5), ("B", "A"): Leg(5)}
    )
    jobs = (
        Routing("part-a", (Step("print", (Alternative("p1", 30), Alternative("p2", 60))),)),
        Routing("part-b", (Step("print", (Alternative("p2", 20),)),)),
        Routing(
            "order",
            (Step("assemble", (Alternative("asm", 15),)),),
            waits_for=("part-a", "part-b"),
        ),
    )
    problem = Problem(jobs=jobs, machines=machines, transport=transport)
    plan = solved(problem)
    assert plan.status == "optimal"
    assert plan.makespan == 85  # part-a on p1 (30) + 40 leg + 15, part-b ready at 30
    start = plan.by_step()[("order", "assemble")].start
    assert start == 70


def test_deterministic_mode_gives_the_same_plan_twice(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "brandimarte" / "Mk06.fjs"))
    params = SolveParams(time_limit_s=0.3, workers=2, seed=3, deterministic=True)
    first, second = solved(problem, params), solved(problem, params)
    assert first.assignments == second.assignments
    assert first.makespan <= 72  # never worse than the greedy hint


def test_a_given_hint_plan_is_used_as_a_starting_point(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "kacem" / "Kacem2.fjs"))
    first = solved(problem)
    again = solved(problem, SolveParams(time_limit_s=2.0, hint=first))
    assert again.makespan <= first.makespan


def test_an_empty_problem_is_trivially_optimal() -> None:
    plan = solved(Problem(jobs=(), machines=(Resource("m"),)))
    assert plan.status == "optimal"
    assert plan.assignments == ()


@st.composite
def small_problems(draw: st.DrawFn) -> Problem:
    """Random problems: 2-4 jobs of 1-3 steps, 3 machines in 2 workshops, calendars, legs."""
    machines = []
    for k in range(3):
        windows = None
        if draw(st.booleans()):
            windows = ((0, 200), (250, 2000))
        booked = ((100, 130),) if draw(st.booleans()) else ()
        machines.append(Resource(f"m{k}", "A" if k < 2 else "B", windows, booked))
    jobs = []
    for j in range(draw(st.integers(2, 4))):
        steps = []
        for s in range(draw(st.integers(1, 3))):
            chosen = draw(
                st.lists(st.sampled_from(["m0", "m1", "m2"]), min_size=1, max_size=3, unique=True)
            )
            alts = tuple(
                Alternative(m, draw(st.integers(1, 60)), cost=draw(st.integers(0, 50)))
                for m in chosen
            )
            steps.append(Step(f"s{s}", alts))
        jobs.append(
            Routing(
                f"j{j}",
                tuple(steps),
                release=draw(st.integers(0, 50)),
                due=draw(st.one_of(st.none(), st.integers(50, 300))),
                waits_for=("j0",) if j == 3 else (),
                delivery={"B": Leg(draw(st.integers(0, 20)), 5)},
            )
        )
    leg = Leg(draw(st.integers(0, 30)), draw(st.integers(0, 20)), 3)
    return Problem(
        jobs=tuple(jobs),
        machines=tuple(machines),
        transport=Transport({("A", "B"): leg, ("B", "A"): leg}),
        objective=Objective(
            makespan=draw(st.integers(0, 2)), cost=draw(st.integers(0, 2)), tardiness=1
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_every_solution_of_random_small_problems_validates(problem: Problem) -> None:
    plan = solve(problem, SolveParams(time_limit_s=1.0, workers=1))
    assert plan.has_schedule
    assert validate(problem, plan) == []
    assert plan.lower_bound is None or plan.lower_bound <= (plan.objective or 0)
