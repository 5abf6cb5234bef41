"""The validator catches each broken rule, so that tests relying on it mean something."""

from __future__ import annotations

from dataclasses import replace

from matching.engine.greedy import greedy
from matching.engine.problem import (
    Alternative,
    Assignment,
    Leg,
    Plan,
    Problem,
    Resource,
    Routing,
    Step,
    Transport,
)
from matching.engine.validate import validate

PROBLEM = Problem(
    jobs=(
        Routing(
            "j",
            (
                Step("a", (Alternative("m1", 10), Alternative("m2", 12))),
                Step("b", (Alternative("m2", 5),)),
            ),
            release=5,
            deadline=100,
        ),
        Routing("k", (Step("a", (Alternative("m1", 10),)),)),
    ),
    machines=(
        Resource("m1", "A", windows=((0, 50),)),
        Resource("m2", "B", booked=((60, 70),)),
    ),
    transport=Transport({("A", "B"): Leg(7), ("B", "A"): Leg(7)}),
)


def plan_of(*assignments: Assignment) -> Plan:
    """A plan with correct totals for these assignments (so only the rule under test fails)."""
    base = Plan("feasible", "greedy", assignments=assignments)
    makespan = max(a.end for a in assignments)
    return replace(base, makespan=makespan, objective=makespan)


GOOD = (
    Assignment("j", "a", "m1", 5, 15),
    Assignment("j", "b", "m2", 22, 27),
    Assignment("k", "a", "m1", 15, 25),
)


def test_a_valid_plan_has_no_violations() -> None:
    assert validate(PROBLEM, plan_of(*GOOD)) == []
    assert validate(PROBLEM, greedy(PROBLEM)) == []


def broken(index: int, **changes: object) -> list[str]:
    assignments = list(GOOD)
    assignments[index] = replace(assignments[index], **changes)  # type: ignore[arg-type]
    return validate(PROBLEM, plan_of(*assignments))


def test_transport_gap_is_enforced() -> None:
    assert any("plus 7 min of transport" in e for e in broken(1, start=17, end=22))


def test_overlap_on_a_machine_is_caught() -> None:
    assert any("at the same time" in e for e in broken(2, start=10, end=20))


def test_steps_outside_windows_and_on_bookings_are_caught() -> None:
    assert any("outside its windows" in e for e in broken(2, start=45, end=55))
    assert any("overlaps booking" in e for e in broken(1, start=58, end=63))


def test_incapable_machine_and_wrong_duration_are_caught() -> None:
    assert any("cannot do it" in e for e in broken(2, machine="m2"))
    assert any("not 10" in e for e in broken(2, end=30))


def test_release_deadline_and_missing_steps_are_caught() -> None:
    assert any("before its release" in e for e in broken(0, start=0, end=10))
    assert any("after its deadline" in e for e in broken(1, start=100, end=105))
    assert any("not assigned" in e for e in validate(PROBLEM, plan_of(*GOOD[:2])))


def test_wrong_totals_are_caught() -> None:
    wrong = replace(plan_of(*GOOD), makespan=20)
    assert any("totals" in e for e in validate(PROBLEM, wrong))
