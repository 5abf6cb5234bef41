"""The outage simulation, small (6 orders, seed 3: two orders hit): the invariants that hold,
and the promise (issue 12) that does not yet."""

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


@pytest.mark.xfail(
    strict=False,
    reason=(
        "issue 12: a step moved to another workshop waits out that workshop's lead time "
        "(24 h), then legs of a day each and a Monday-to-Friday week follow it, so an order "
        "due on the weekend whose moved step cannot start the next working day misses by "
        "two days, although the spare hours cover the displaced ones; see not_on_time"
    ),
)
def test_the_network_keeps_its_promises(figures):
    assert figures["on_time_pct"] >= 95, figures["not_on_time"]
