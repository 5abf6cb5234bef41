"""Several orders re-planned in one solve, without a database: no time is offered twice."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching.replan_orders as replan_orders_module
from matching.replan_orders import (
    ALONE_BUDGET_SHARE,
    ALONE_MIN_SECONDS,
    OrderToReplan,
    promise_weight,
    recovery_improves,
    replan_orders,
    taking,
)
from matching.replanning import (
    TARDINESS_PER_MINUTE,
    CurrentAssignment,
    MachineDownChange,
    MachineUpChange,
    NewAssignment,
    ReplanResult,
    replan_window,
)
from matching.snapshot import Snapshot
from tests.matching.conftest import (
    DEBURR,
    EINDHOVEN_MACHINES,
    MILL,
    MUNICH,
    NOW,
    snapshot_at,
)
from tests.matching.replan_steps import FAST, at, step

EINDHOVEN_MILL, EINDHOVEN_DEBURR, _ = EINDHOVEN_MACHINES
H = 60


def network(windows: dict[str, tuple[tuple[int, int], ...]] | None = None) -> Snapshot:
    """The small network with Eindhoven, some machines' free time replaced by ``windows``."""
    snapshot = snapshot_at(machines=EINDHOVEN_MACHINES)
    windows = windows or {}
    machines = tuple(
        replace(m, windows=windows[m.id]) if m.id in windows else m for m in snapshot.machines
    )
    return replace(snapshot, machines=machines)


def order(order_id: int, *steps: CurrentAssignment, due: datetime | None = None) -> OrderToReplan:
    return OrderToReplan(order_id, steps, due=due, ship_to=MUNICH)


def mill_step(start_h: float, job: str = "part-1", **kw) -> CurrentAssignment:
    return step(job, "mill", MILL, start_h, 120, material_code="al-6061", **kw)


def overlap(a: NewAssignment, b: NewAssignment) -> bool:
    return a.machine_id == b.machine_id and a.start < b.end and b.start < a.end


def assert_no_two_share_time(results: dict[int, ReplanResult]) -> None:
    every = [a for r in results.values() for a in r.assignments]
    for a, b in itertools.combinations(every, 2):
        assert not overlap(a, b), (a, b)


MILL_DOWN = MachineDownChange(int(MILL.id), at=NOW)


def test_two_orders_competing_for_one_free_window_never_get_the_same_time():
    # Eindhoven's mill has one free window of five hours on day 2; both orders need it.
    window = ((26 * H, 31 * H),)
    results = replan_orders(
        [order(1, mill_step(26)), order(2, mill_step(29))],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network({EINDHOVEN_MILL.id: window}),
        **FAST,
    )
    assert set(results) == {1, 2}
    assert all(r.ok for r in results.values())
    new = [results[i].assignments[0] for i in (1, 2)]
    assert {a.machine_id for a in new} == {int(EINDHOVEN_MILL.id)}
    assert all(a.moved and a.job_key == "part-1" for a in new)
    assert not overlap(*new)
    for a in new:
        assert at(26) <= a.start
        assert a.end <= at(31)


def test_orders_sharing_job_keys_are_read_from_the_earliest_step_of_any_of_them():
    # The first order milled and deburred part-1 yesterday; the second's part-1 is planned.
    # A window started after the done mill squeezed both done steps into its first minute,
    # where the deburr began before the mill ended: "cannot be fitted", with time to spare.
    first = order(
        1,
        mill_step(-30, status="done"),
        step("part-1", "deburr", DEBURR, -28, 30, "done"),
        mill_step(26, "part-2"),
    )
    second = order(2, mill_step(30))
    origin, days = replan_window([*first.assignments, *second.assignments], NOW)
    assert origin == at(-30)
    results = replan_orders(
        [first, second],
        change=MILL_DOWN,
        now=NOW,
        snapshot=snapshot_at(origin, days, machines=EINDHOVEN_MACHINES),
        **FAST,
    )
    assert all(r.ok for r in results.values()), [r.reasons for r in results.values()]
    done = [a for a in results[1].assignments if a.status == "done"]
    assert [(a.step_key, a.start, a.moved) for a in done] == [
        ("mill", at(-30), False),
        ("deburr", at(-28), False),
    ]
    assert {results[1].moved[0].machine_id, results[2].moved[0].machine_id} == {
        int(EINDHOVEN_MILL.id)
    }


def test_each_order_gets_its_own_keys_and_reasons_back():
    results = replan_orders(
        [order(7, mill_step(26, "p")), order(8, mill_step(30, "p"))],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network(),
        **FAST,
    )
    for result in results.values():
        assert [(a.job_key, a.step_key) for a in result.assignments] == [("p", "mill")]
        assert "CNC milling step moves from Mill Works to Eindhoven Fab" in result.summary
        assert "mill of p" not in result.summary  # words, not the plan's keys
        assert "/" not in result.summary


def test_the_order_due_sooner_gets_the_earlier_time():
    window = ((26 * H, 31 * H),)
    relaxed = order(1, mill_step(26), due=at(24 * 20))
    urgent = order(2, mill_step(29), due=at(31))
    results = replan_orders(
        [relaxed, urgent],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network({EINDHOVEN_MILL.id: window}),
        **FAST,
    )
    first, second = (results[i].assignments[0] for i in (2, 1))
    assert first.end <= second.start


def test_due_dates_are_kept_with_the_delivery_leg_when_they_can_be():
    due = at(24 * 4)
    results = replan_orders(
        [order(1, mill_step(26), due=due), order(2, mill_step(30), due=due)],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network(),
        **FAST,
    )
    for result in results.values():
        assert result.delivery_at is not None
        assert result.delivery_at <= due
        assert result.delivery_at > result.assignments[-1].end  # the leg to Munich counts


def test_an_order_that_cannot_be_replanned_does_not_take_the_others_down():
    # Nothing else in the network anodizes at this tolerance: the joint solve is infeasible,
    # so each order is re-planned alone and the first keeps its new plan.
    impossible = step("part-1", "mill", MILL, 26, 120, material_code="unobtainium")
    results = replan_orders(
        [order(1, mill_step(26)), order(2, impossible), order(3, mill_step(30))],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network(),
        **FAST,
    )
    assert results[1].ok
    assert results[3].ok
    assert not results[2].ok
    assert results[2].reasons
    assert_no_two_share_time({1: results[1], 3: results[3]})


def test_taking_removes_offered_time_from_the_network():
    snapshot = network()
    offered = NewAssignment(
        "p", "mill", int(EINDHOVEN_MILL.id), 5, at(30), at(32), 0, "planned", True
    )
    left = taking(snapshot, [offered]).machine(EINDHOVEN_MILL.id)
    minute = snapshot.minute
    assert not any(lo < minute(at(32)) and minute(at(30)) < hi for lo, hi in left.windows)
    assert any(lo <= minute(at(29)) < hi for lo, hi in left.windows)


# -- recovery ------------------------------------------------------------------------------------


def result_with(**kw) -> ReplanResult:
    moved = NewAssignment("p", "mill", 1, 10, NOW, NOW, 0, "planned", True)
    fields = {"delivery_before": at(50), "delivery_at": at(50), "cost_before_minor": 10_000}
    fields |= kw
    return ReplanResult("optimal", (moved,), (moved,), (), "", None, **fields)  # type: ignore[arg-type]


def test_recovery_moves_a_late_order_only_when_that_makes_it_on_time():
    due = at(40)
    on_time = result_with(delivery_at=at(39), cost_minor=20_000)
    still_late = result_with(delivery_at=at(45), cost_minor=10_000)
    assert recovery_improves(on_time, due=due, move_penalty=10**6)
    assert not recovery_improves(still_late, due=due, move_penalty=10**6)


def test_recovery_moves_an_on_time_order_only_when_it_saves_more_than_the_penalty():
    due = at(60)
    assert recovery_improves(result_with(cost_minor=4_000), due=due, move_penalty=5_000)
    assert not recovery_improves(result_with(cost_minor=5_000), due=due, move_penalty=5_000)
    late = result_with(cost_minor=0, delivery_at=at(61))
    assert not recovery_improves(late, due=due, move_penalty=1)


def test_a_machine_back_up_lets_a_late_order_finish_in_time():
    # The order's mill step waits for day 6 on Stuttgart's mill; Eindhoven's came back today.
    plan = order(1, mill_step(24 * 6), due=at(24 * 3))
    results = replan_orders(
        [plan],
        change=MachineUpChange(int(EINDHOVEN_MILL.id), at=NOW),
        now=NOW,
        snapshot=network(),
        move_penalty=100,
        **FAST,
    )
    result = results[1]
    assert result.delivery_before > plan.due
    assert result.delivery_at <= plan.due
    assert recovery_improves(result, due=plan.due, move_penalty=100)


# -- random outages over several orders ------------------------------------------------------

SLOT_H = 3  # hours between the starts of the generated steps


@st.composite
def outages(draw):
    """Orders of one or two steps on the Stuttgart mill and deburr, in distinct slots, a
    machine down and other orders' bookings cut out of Eindhoven's time."""
    count = draw(st.integers(min_value=2, max_value=4))
    slots = draw(st.permutations(range(12)))
    orders, used = [], 0
    for order_id in range(1, count + 1):
        two = draw(st.booleans())
        steps = [mill_step(26 + SLOT_H * slots[used])]
        used += 1
        if two:
            steps.append(step("part-1", "deburr", DEBURR, 26 + SLOT_H * slots[used], 60))
            steps.sort(key=lambda a: a.start)
            steps = [replace(s, step_key=f"s{i}") for i, s in enumerate(steps)]
            used += 1
        due = at(draw(st.integers(min_value=30, max_value=24 * 10)))
        orders.append(OrderToReplan(order_id, tuple(steps), due=due, ship_to=MUNICH))
    down = draw(st.sampled_from([MILL, DEBURR]))
    busy = draw(
        st.lists(
            st.tuples(st.integers(24, 24 * 8), st.integers(1, 10)).map(
                lambda t: (t[0] * H, (t[0] + t[1]) * H)
            ),
            max_size=6,
        )
    )
    return orders, down, busy


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=outages())
def test_random_outages_never_offer_one_machine_time_twice_or_booked_time(case):
    orders, down, busy = case
    base = network()
    foreign = {m.id: busy for m in (EINDHOVEN_MILL, EINDHOVEN_DEBURR)}
    snapshot = replace(
        base,
        machines=tuple(
            replace(m, windows=_cut(m.windows, foreign[m.id])) if m.id in foreign else m
            for m in base.machines
        ),
    )
    results = replan_orders(
        orders,
        change=MachineDownChange(int(down.id), at=NOW),
        now=NOW,
        snapshot=snapshot,
        **FAST,
    )
    assert set(results) == {o.order_id for o in orders}
    assert_no_two_share_time(results)
    for result in results.values():
        assert result.ok, result.reasons
        for a in result.assignments:
            assert a.machine_id != int(down.id)
            if a.moved and str(a.machine_id) in foreign:
                lo, hi = base.minute(a.start), base.minute(a.end)
                assert all(hi <= b_lo or b_hi <= lo for b_lo, b_hi in busy), (a, busy)


def _cut(windows, busy):
    """Windows minus the busy intervals (other orders' bookings, as the snapshot cuts them)."""
    out = []
    for lo, hi in windows:
        pieces = [(lo, hi)]
        for b_lo, b_hi in busy:
            pieces = [
                p for a, b in pieces for p in ((a, min(b, b_lo)), (max(a, b_hi), b)) if p[0] < p[1]
            ]
        out += pieces
    return tuple(out)


def test_an_order_late_anyway_never_takes_the_last_time_from_one_that_can_be_on_time():
    # Eindhoven's mill is free for one step tomorrow, then only in three days. The first
    # order is late even tomorrow, the second is on time only tomorrow. Fewest minutes late
    # in all gives tomorrow to the first (both late); the promise goes to the second.
    windows = {EINDHOVEN_MILL.id: ((26 * H, 29 * H), (98 * H, 200 * H))}
    probe = replan_orders(
        [order(9, mill_step(26))], change=MILL_DOWN, now=NOW, snapshot=network(windows), **FAST
    )[9]
    tomorrow = probe.delivery_at
    assert tomorrow is not None
    assert tomorrow <= at(29) + timedelta(days=2)
    hopeless = order(1, mill_step(26), due=tomorrow - timedelta(hours=10))
    keepable = order(2, mill_step(27), due=tomorrow + timedelta(hours=1))
    results = replan_orders(
        [hopeless, keepable], change=MILL_DOWN, now=NOW, snapshot=network(windows), **FAST
    )
    assert all(r.ok for r in results.values())
    assert results[2].delivery_at <= keepable.due
    assert results[1].delivery_at > hopeless.due
    assert_no_two_share_time(results)


def test_after_a_breakdown_another_orders_step_moves_aside_rather_than_an_order_missing_its_date():
    # Both orders lose Stuttgart's mill. The only other mill, Eindhoven's, is free tomorrow
    # for two hours (held by the second order's other part, due in three weeks), then only
    # in two days. Keeping the first order's promise needs that part moved aside: one move
    # more. At a week of lateness per moved step, the first order was a day late instead.
    windows = {EINDHOVEN_MILL.id: ((50 * H, 24 * 20 * H),)}
    held = step("part-2", "mill", EINDHOVEN_MILL, 26, 120, material_code="al-6061")
    probe = replan_orders(
        [order(9, mill_step(26))],
        change=MILL_DOWN,
        now=NOW,
        snapshot=network({EINDHOVEN_MILL.id: ((26 * H, 28 * H), *windows[EINDHOVEN_MILL.id])}),
        **FAST,
    )[9]
    assert probe.delivery_at is not None
    promised = order(1, mill_step(26), due=probe.delivery_at + timedelta(hours=1))
    relaxed = order(2, mill_step(30), held, due=at(24 * 20))
    results = replan_orders(
        [promised, relaxed], change=MILL_DOWN, now=NOW, snapshot=network(windows), **FAST
    )
    assert all(r.ok for r in results.values())
    assert results[1].delivery_at <= promised.due
    assert results[2].delivery_at <= relaxed.due
    assert ("part-2", "mill") in results[2].moved_keys
    assert_no_two_share_time(results)


@given(penalty=st.integers(min_value=0, max_value=10**12))
def test_after_a_breakdown_a_minute_late_always_outweighs_a_moved_step(penalty):
    down = promise_weight(MILL_DOWN, penalty)
    assert down > penalty
    assert down >= TARDINESS_PER_MINUTE
    assert promise_weight(MachineUpChange(None, at=NOW), penalty) == TARDINESS_PER_MINUTE


def test_the_fallback_shares_one_budget_among_its_solves_however_many_orders_are_late(
    monkeypatch,
):
    """Four orders late after the joint solve are solved alone, then again once the others
    took their time: eight solves, each using all of its limit on a clock that only they
    move, and all of them together within the fallback's budget (1 s each took 10 s)."""
    clock = [0.0]
    limits: list[float] = []

    def solve_late(orders, change, now, specs, params, move_penalty):
        limits.append(params.time_limit_s)
        clock[0] += params.time_limit_s
        late = ReplanResult("feasible", (), (), (), "", None, delivery_at=at(200))
        return {o.order_id: late for o in orders}

    monkeypatch.setattr(replan_orders_module, "_clock", lambda: clock[0])
    monkeypatch.setattr(replan_orders_module, "_solve", solve_late)
    late = [order(i, mill_step(26), due=at(30)) for i in range(1, 5)]
    replan_orders(late, change=MILL_DOWN, now=NOW, snapshot=network(), time_limit_s=5.0)
    joint, *alone = limits
    assert joint == 5.0
    assert len(alone) == 8
    assert sum(alone) <= ALONE_BUDGET_SHARE * 5.0 + 1e-9
    assert min(alone) >= ALONE_MIN_SECONDS
