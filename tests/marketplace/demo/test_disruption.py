"""The outage simulation, small: the invariants that must hold today, and the ones the
re-planning rewrite (issue 12) is to make hold."""

import io
import json

import pytest
from django.core.management import call_command

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
    assert 0 <= figures["on_time_pct"] <= 100
    assert figures["machines_down"] >= 1


def test_the_ledger_stays_balanced(figures):
    assert figures["ledger_unbalanced"] == 0


def test_no_machine_is_booked_twice(figures):
    assert figures["double_booked"] == 0


def test_done_steps_never_move(figures):
    assert figures["steps_done_moved"] == 0


@pytest.mark.xfail(strict=False, reason="issue 12: re-plans offer time taken by open offers")
def test_every_new_offer_can_be_accepted(figures):
    assert figures["offers_refused"] == 0


@pytest.mark.xfail(strict=False, reason="issue 12: re-plans miss the promised delivery")
def test_the_network_keeps_its_promises(figures):
    assert figures["on_time_pct"] >= 95
    assert figures["replanned"] == figures["affected"]
    assert figures["replan_seconds_max"] <= 10
