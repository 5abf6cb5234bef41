"""The simulations on PostgreSQL (``make test-services``): the randomized market of
tests/marketplace/demo/test_simulation.py, every money metric at zero for each seed, and the
outage of tests/marketplace/demo/test_disruption.py.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.demo.disruption import simulate_disruption
from marketplace.demo.simulation import simulate_market

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ORDERS = 4
HYPOTHESIS = settings(
    max_examples=2,  # each example simulates 4 orders: minutes on a loaded machine
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MONEY_METRICS = (
    "orders_negative_escrow",
    "orders_with_money_stuck",
    "parties_unpaid_for_accepted_work",
    "money_created_minor",
)


@HYPOTHESIS
@given(seed=st.integers(min_value=1, max_value=1000))
def test_the_market_runs_and_its_money_adds_up_on_postgresql(seed, postgres, transactional_db):
    result = simulate_market(orders=ORDERS, seed=seed)
    assert result["orders"] == ORDERS
    assert set(result["statuses"]) <= {"completed", "cancelled", "expired"}
    assert result["ledger_unbalanced"] == 0
    assert result["payouts_not_opened"] == 0
    assert result["payout_hours_p95"] <= 24
    broken = {metric: result[metric] for metric in MONEY_METRICS if result[metric]}
    assert broken == {}, result["breaking_orders"]


def test_an_outage_on_postgresql_keeps_its_invariants(postgres, transactional_db):
    """The outage simulation on the database whose exclusion constraint forbids double
    bookings: every affected order re-planned, nothing booked twice, done work left alone."""
    figures = simulate_disruption(seed=3, orders=6)
    assert figures["affected"] >= 1
    assert figures["replanned"] == figures["affected"], figures["not_replanned"]
    assert figures["offers_refused"] == 0
    assert figures["double_booked"] == 0
    assert figures["steps_double_live"] == 0
    assert figures["steps_done_moved"] == 0
    assert figures["ledger_unbalanced"] == 0
    assert set(figures["not_on_time"]) <= set(figures["escalations"])
