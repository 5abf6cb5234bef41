"""The outage simulation, small (6 orders, seed 3: two orders hit): the invariants that hold,
and the promise of issue 12 (95 % on time); the choice of the workshops taken down."""

import io
import json

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from marketplace.demo.disruption import outage_choice

# Re-plans follow the machine signal after commit, so the run needs real commits.
pytestmark = pytest.mark.django_db(transaction=True)
_runs: dict[int, dict] = {}

FIELDS = {
    "orders",
    "affected",
    "replanned",
    "replan_seconds_p50",
    "replan_seconds_max",
    "on_time_pct",
    "offers_refused",
    "double_booked",
    "steps_done_moved",
    "operators_notified",
    "ledger_unbalanced",
    "escalated",
    "machines_down",
}


@pytest.fixture
def figures(transactional_db) -> dict:
    """One run of the command (6 orders, seed 3), shared by the assertions below."""
    if 3 not in _runs:
        out = io.StringIO()
        call_command("simulate_disruption", seed=3, orders=6, json=True, stdout=out)
        _runs[3] = json.loads(out.getvalue())
    return _runs[3]


def test_the_json_holds_every_figure_and_they_agree(figures):
    assert set(figures) >= FIELDS
    assert figures["orders"] == 6
    assert 0 <= figures["replanned"] <= figures["affected"] <= figures["orders"]
    assert 0 <= figures["replan_seconds_p50"] <= figures["replan_seconds_max"]
    assert figures["on_time_pct"] == round(
        100 * (figures["live_orders"] - len(figures["not_on_time"])) / figures["live_orders"], 1
    )
    assert figures["escalated"] == len(figures["escalations"])
    assert figures["machines_down"] >= 1


def test_the_outage_hits_several_orders(figures):
    assert figures["affected"] >= 2
    assert figures["share_down"] >= 0.1


def test_the_ledger_stays_balanced(figures):
    assert figures["ledger_unbalanced"] == 0


def test_no_machine_is_booked_twice(figures):
    assert figures["double_booked"] == 0


def test_done_steps_never_move(figures):
    assert figures["steps_done_moved"] == 0


def test_every_new_offer_can_be_accepted(figures):
    assert figures["offers_refused"] == 0


def test_every_affected_order_is_replanned_within_ten_seconds(figures):
    assert figures["replanned"] == figures["affected"], figures["not_replanned"]
    assert figures["replan_seconds_max"] <= 10


def test_an_order_late_or_unbooked_is_sent_to_the_operators(figures):
    assert set(figures["not_on_time"]) <= set(figures["escalations"])


def test_the_network_keeps_its_promises(figures):
    assert figures["on_time_pct"] >= 95, figures["not_on_time"]


MILLS = {w: {"cnc-3axis", "deburring", "assembly"} for w in (1, 2, 5)}
ANODIZERS = {3: {"anodizing"}, 4: {"anodizing"}, 6: {"anodizing"}}
OFFERS = MILLS | ANODIZERS


def test_an_outage_never_takes_down_two_of_a_process_s_three_workshops():
    # Two anodizers hold exactly 27 % of the steps, but losing them leaves one anodizer for
    # work three shared: the closest choice that keeps two of each is a mill and an anodizer.
    booked = {1: 20, 2: 20, 5: 20, 3: 13, 4: 14, 6: 13}
    assert outage_choice(booked, OFFERS, 0.27) == (1, 3)


def test_an_outage_of_one_workshop_closest_to_the_share_is_still_chosen():
    booked = {1: 20, 2: 20, 5: 20, 3: 13, 4: 14, 6: 13}
    assert outage_choice(booked, OFFERS, 0.2) == (1,)
    assert outage_choice({}, OFFERS, 0.2) == ()


@given(
    counts=st.lists(st.integers(min_value=0, max_value=40), min_size=6, max_size=6),
    share=st.floats(min_value=0.05, max_value=0.6),
)
def test_the_outage_keeps_two_workshops_of_every_process_and_is_closest_to_the_share(counts, share):
    booked = {w: n for w, n in zip(sorted(OFFERS), counts, strict=True) if n}
    chosen = outage_choice(booked, OFFERS, share)
    if not booked:
        assert chosen == ()
        return
    for code in ("cnc-3axis", "anodizing"):
        providers = [w for w, codes in OFFERS.items() if code in codes]
        assert len([w for w in providers if w not in chosen]) >= 2
    total = sum(booked.values())
    gap = abs(sum(booked[w] for w in chosen) / total - share)
    for a in booked:
        for b in booked:
            if (
                a < b
                and not (a in ANODIZERS and b in ANODIZERS)
                and not (a in MILLS and b in MILLS)
            ):
                assert gap <= abs((booked[a] + booked[b]) / total - share) + 1e-12
        assert gap <= abs(booked[a] / total - share) + 1e-12
