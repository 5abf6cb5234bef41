"""Re-planning after a breakdown, a decline or a late step keeps what it can."""

from __future__ import annotations

from pathlib import Path

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.generate import random_marketplace
from matching.engine.problem import (
    Alternative,
    Assignment,
    Objective,
    Plan,
    Problem,
    Resource,
    Routing,
    SolveParams,
    Step,
)
from matching.engine.replan import MachineDown, StepDeclined, StepLate, replan
from matching.engine.solver import solve
from matching.engine.validate import validate

PARAMS = SolveParams(time_limit_s=3.0, workers=2)


def current_plan(problem: Problem) -> Plan:
    plan = solve(problem, PARAMS)
    assert validate(problem, plan) == []
    return plan


def test_after_a_breakdown_nothing_runs_on_the_machine_and_pinned_steps_stay(
    data_dir: Path,
) -> None:
    problem = to_problem(read_fjsp(data_dir / "brandimarte" / "Mk01.fjs"))
    plan = current_plan(problem)
    t = plan.makespan // 3
    pinned = {(a.job, a.step) for a in plan.assignments if a.start < t}
    down = MachineDown("0", at=t, until=t + 30)
    result = replan(problem, plan, down, pinned=pinned, now=t, params=PARAMS)
    new = result.plan
    assert new.has_schedule
    assert validate(result.problem, new) == []
    after = new.by_step()
    for a in new.assignments:
        if a.machine == "0":
            assert a.end <= t or a.start >= t + 30
        if (a.job, a.step) not in pinned:
            assert a.start >= t
    before = plan.by_step()
    interrupted = {k for k, a in before.items() if a.machine == "0" and a.start < t < a.end}
    for key in pinned - interrupted:
        assert after[key] == before[key]


def test_unaffected_steps_mostly_stay_where_they_were() -> None:
    problem = random_marketplace(seed=3, workshops=10, machines=30, orders=15)
    plan = current_plan(problem)
    busiest = max(
        {a.machine for a in plan.assignments},
        key=lambda m: sum(a.machine == m for a in plan.assignments),
    )
    # cost is in minor units (about 10**5 per step): a move must cost more than that to matter
    result = replan(problem, plan, MachineDown(busiest, at=0), params=PARAMS, move_penalty=10**6)
    assert result.plan.has_schedule
    assert validate(result.problem, result.plan) == []
    assert all(a.machine != busiest for a in result.plan.assignments)
    forced = sum(a.machine == busiest for a in plan.assignments)
    assert len(result.moves) >= forced
    assert len(result.moves) <= forced + len(plan.assignments) // 2


def test_a_declined_step_leaves_the_declining_workshop() -> None:
    problem = random_marketplace(seed=4, workshops=10, machines=30, orders=10)
    plan = current_plan(problem)
    target = plan.assignments[0]
    workshop = problem.workshop_of(target.machine)
    result = replan(problem, plan, StepDeclined(target.job, target.step), params=PARAMS)
    assert validate(result.problem, result.plan) == []
    moved = result.plan.by_step()[(target.job, target.step)]
    assert problem.workshop_of(moved.machine) != workshop
    assert any(m.step == target.step and m.job == target.job for m in result.moves)


def test_a_late_running_step_pushes_its_successors(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "kacem" / "Kacem1.fjs"))
    plan = current_plan(problem)
    first = plan.by_step()[("0", "0")]
    result = replan(
        problem,
        plan,
        StepLate("0", "0", end=first.end + 5),
        pinned={("0", "0")},
        now=first.start,
        params=PARAMS,
    )
    assert validate(result.problem, result.plan) == []
    new = result.plan.by_step()
    assert new[("0", "0")].end == first.end + 5
    assert new[("0", "1")].start >= first.end + 5


def test_a_decline_with_no_other_capable_workshop_is_explained(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "hurink" / "edata" / "mt06.fjs"))
    plan = current_plan(problem)
    single = next((j.id, s.id) for j in problem.jobs for s in j.steps if len(s.alternatives) == 1)
    result = replan(problem, plan, StepDeclined(*single), params=PARAMS)
    assert result.plan.status == "infeasible"
    assert result.plan.issues[0].code == "no_capable_machine"


def test_a_breakdown_stranding_a_step_is_explained(data_dir: Path) -> None:
    problem = to_problem(read_fjsp(data_dir / "brandimarte" / "Mk01.fjs"))
    plan = current_plan(problem)
    result = replan(problem, plan, MachineDown("0", at=0), params=PARAMS)
    assert result.plan.status == "infeasible"
    assert result.plan.issues[0].code == "no_available_machine"


def test_the_greedy_repair_never_replaces_an_answer_that_moves_fewer_steps() -> None:
    # "a" and "b1" lose m1; m2 is free at 100-200 (held by "b2") and from 1000 on. Putting
    # "a" there on time moves "b2" aside: three moves for 850 minutes less late, which the
    # objective (a minute late = 1, a move = 10,000) refuses. The greedy repair does just
    # that, and won because the answers were compared without their move penalties.
    def job(job_id: str, due: int | None = None) -> Routing:
        alts = (Alternative("m1", 100), Alternative("m2", 100))
        return Routing(job_id, (Step("s", alts),), due=due)

    problem = Problem(
        jobs=(job("a", due=250), job("b1"), job("b2")),
        machines=(Resource("m1", "w1"), Resource("m2", "w2", ((100, 200), (1000, 5000)))),
        objective=Objective(makespan=1, tardiness=1),
    )
    current = Plan(
        "feasible",
        "none",
        (
            Assignment("a", "s", "m1", 100, 200),
            Assignment("b1", "s", "m1", 300, 400),
            Assignment("b2", "s", "m2", 100, 200),
        ),
    )
    result = replan(problem, current, MachineDown("m1", at=0), params=PARAMS, move_penalty=10_000)
    assert validate(result.problem, result.plan) == []
    assert {(m.job, m.step) for m in result.moves} == {("a", "s"), ("b1", "s")}
