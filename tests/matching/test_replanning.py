"""Re-planning without a database: the network is a Snapshot, left-out machines are passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from matching.replanning import (
    MachineDownChange,
    StepDeclinedChange,
    StepLateChange,
    offline_machine_ids,
    replan_assignments,
    replan_window,
)
from tests.matching.conftest import (
    ANODIZE,
    ASSEMBLY,
    DEBURR,
    EINDHOVEN,
    EINDHOVEN_MACHINES,
    MILL,
    NOW,
    NUREMBERG,
    snapshot_at,
)
from tests.matching.replan_steps import FAST, at, step

EINDHOVEN_MILL, EINDHOVEN_DEBURR, EINDHOVEN_ANODIZE = EINDHOVEN_MACHINES


def network_for(plan, *, eindhoven: bool = True):
    """The snapshot the marketplace would read for ``plan``: from its earliest step on."""
    origin, days = replan_window(plan, NOW)
    return snapshot_at(origin, days, machines=EINDHOVEN_MACHINES if eindhoven else ())


def by_key(result):
    return {(a.job_key, a.step_key): a for a in result.assignments}


def test_a_decline_moves_the_step_to_another_workshop():
    plan = [
        step("p1", "mill", MILL, -20, 60, "done", material_code="al-6061"),
        step("p1", "deburr", DEBURR, 26, 20),
        step("p1", "anodize", ANODIZE, 50, 90),
    ]
    result = replan_assignments(
        assignments=plan,
        change=StepDeclinedChange("p1", "anodize", int(NUREMBERG)),
        now=NOW,
        snapshot=network_for(plan),
        **FAST,
    )
    assert result.ok, result.reasons
    steps = by_key(result)
    anodize = steps[("p1", "anodize")]
    assert (anodize.workshop_id, anodize.machine_id) == (int(EINDHOVEN), int(EINDHOVEN_ANODIZE.id))
    assert anodize.moved
    assert result.moved_keys == {("p1", "anodize")}
    assert "Anodica" in anodize.reason
    assert "Eindhoven Fab" in result.summary
    assert anodize.start >= steps[("p1", "deburr")].end
    done = steps[("p1", "mill")]
    assert (done.machine_id, done.start, done.end, done.moved) == (
        int(MILL.id),
        plan[0].start,
        plan[0].end,
        False,
    )


def test_a_machine_down_moves_only_the_steps_that_were_on_it():
    plan = [
        step("p1", "mill", MILL, 26, 60, material_code="al-6061"),
        step("p2", "mill", MILL, -30, 60, "done", material_code="al-6061"),
        step("p2", "deburr", EINDHOVEN_DEBURR, 30, 20),
        step("p3", "mill", EINDHOVEN_MILL, 40, 60, material_code="al-6061"),
    ]
    result = replan_assignments(
        assignments=plan,
        change=MachineDownChange(int(MILL.id), at=NOW, until=at(24 * 10)),
        now=NOW,
        snapshot=network_for(plan),
        **FAST,
    )
    assert result.ok, result.reasons
    assert result.moved_keys == {("p1", "mill")}
    steps = by_key(result)
    moved = steps[("p1", "mill")]
    assert moved.machine_id != int(MILL.id) or moved.start >= at(24 * 10)
    for key, before in (
        (("p2", "mill"), plan[1]),
        (("p2", "deburr"), plan[2]),
        (("p3", "mill"), plan[3]),
    ):
        after = steps[key]
        assert (after.machine_id, after.start, after.end, after.moved) == (
            before.machine_id,
            before.start,
            before.end,
            False,
        )


def test_a_late_running_step_pushes_its_successor():
    plan = [step("p1", "mill", MILL, -0.5, 60, "running"), step("p1", "deburr", DEBURR, 2, 20)]
    result = replan_assignments(
        assignments=plan,
        change=StepLateChange("p1", "mill", at(3)),
        now=NOW,
        snapshot=network_for(plan),
        **FAST,
    )
    assert result.ok, result.reasons
    steps = by_key(result)
    assert steps[("p1", "mill")].start == plan[0].start
    assert steps[("p1", "deburr")].start >= at(3)


def test_the_assembly_waits_for_its_parts_when_replanned():
    plan = [
        step("p1", "mill", MILL, 26, 60, material_code="al-6061"),
        step("p2", "mill", EINDHOVEN_MILL, 26, 60, material_code="al-6061"),
        step("assembly", "assemble", ASSEMBLY, 30, 30),
    ]
    result = replan_assignments(
        assignments=plan,
        change=MachineDownChange(int(EINDHOVEN_MILL.id), at=NOW),
        now=NOW,
        snapshot=network_for(plan),
        assembly_job="assembly",
        **FAST,
    )
    assert result.ok, result.reasons
    steps = by_key(result)
    assert steps[("p2", "mill")].machine_id == int(MILL.id)
    assert steps[("assembly", "assemble")].start >= max(
        steps[("p1", "mill")].end, steps[("p2", "mill")].end
    )


def test_machines_the_snapshot_leaves_out_come_from_the_caller():
    """A done step stays on a machine that is down now; a planned step on it must move."""
    down = replace(EINDHOVEN_MILL, windows=())
    plan = [
        step("p1", "mill", down, -30, 60, "done", material_code="al-6061"),
        step("p2", "mill", down, 30, 60, material_code="al-6061"),
    ]
    change = MachineDownChange(int(down.id), at=NOW)
    network = network_for(plan, eindhoven=False)
    assert offline_machine_ids(plan, change, network) == {int(down.id)}
    assert offline_machine_ids(plan, change, network_for(plan)) == set()
    result = replan_assignments(
        assignments=plan,
        change=change,
        now=NOW,
        snapshot=network,
        offline={down.id: down},
        **FAST,
    )
    assert result.ok, result.reasons
    steps = by_key(result)
    assert (steps[("p1", "mill")].machine_id, steps[("p1", "mill")].moved) == (int(down.id), False)
    assert steps[("p2", "mill")].machine_id == int(MILL.id)
    assert "from Eindhoven Fab to Mill Works" in steps[("p2", "mill")].reason


def test_the_snapshot_window_starts_at_the_earliest_step():
    plan = [step("p1", "mill", MILL, 5, 60), step("p1", "deburr", DEBURR, 7, 60)]
    assert replan_window(plan, NOW + timedelta(seconds=30), 28) == (NOW, 29)
    # Several orders share job keys: a repeated step counts too, or the window would start
    # after the first order's done mill.
    plan.insert(0, step("p1", "mill", MILL, -50, 60, "done"))
    origin, days = replan_window(plan, NOW, 28)
    assert (origin, days) == (at(-50), 28 + 2 + 1)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p1", "p2"]),
            st.sampled_from(["mill", "deburr"]),
            st.integers(-24 * 60, 24 * 60),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 59),
)
def test_the_window_holds_every_step_given_whatever_their_keys(steps, seconds):
    plan = [step(job, key, MILL, minutes / 60, 30) for job, key, minutes in steps]
    now = NOW + timedelta(seconds=seconds)
    origin, days = replan_window(plan, now, 28)
    assert origin <= min(a.start for a in plan)
    assert origin <= now
    assert origin + timedelta(days=days) >= now + timedelta(days=28)
