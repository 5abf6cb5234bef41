"""The randomized market (marketplace/demo/simulation.py) on SQLite: for any seed, the money
audit of every simulated order finds nothing, and payouts leave within a day.

Each seed is simulated once per test session (a small cache) and every metric is its own
test, so a failure names its metric. Transactional tests: the services release money after
commit, as in production.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.demo.simulation import simulate_market

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 5
SEEDS = st.integers(min_value=1, max_value=2)  # each seed simulated once: ~30 s
HYPOTHESIS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_results: dict[int, dict] = {}


def simulated(seed: int) -> dict:
    if seed not in _results:
        _results[seed] = simulate_market(orders=ORDERS, seed=seed)
    return _results[seed]


@HYPOTHESIS
@given(seed=SEEDS)
def test_every_order_is_driven_to_an_end(seed, transactional_db):
    result = simulated(seed)
    assert result["orders"] == ORDERS
    assert set(result["statuses"]) <= {"completed", "cancelled", "expired"}, result["statuses"]


@HYPOTHESIS
@given(seed=SEEDS)
def test_every_ledger_transaction_balances(seed, transactional_db):
    assert simulated(seed)["ledger_unbalanced"] == 0


@HYPOTHESIS
@given(seed=SEEDS)
def test_every_released_payable_has_its_payout(seed, transactional_db):
    assert simulated(seed)["payouts_not_opened"] == 0


@HYPOTHESIS
@given(seed=SEEDS)
def test_escrow_never_goes_below_zero(seed, transactional_db):
    result = simulated(seed)
    assert result["orders_negative_escrow"] == 0, result["breaking_orders"]


@HYPOTHESIS
@given(seed=SEEDS)
def test_no_money_is_created(seed, transactional_db):
    result = simulated(seed)
    assert result["money_created_minor"] == 0, result["breaking_orders"]


@HYPOTHESIS
@given(seed=SEEDS)
def test_no_money_stays_in_a_closed_order(seed, transactional_db):
    result = simulated(seed)
    assert result["orders_with_money_stuck"] == 0, result["breaking_orders"]


@HYPOTHESIS
@given(seed=SEEDS)
def test_every_party_is_paid_for_accepted_work(seed, transactional_db):
    result = simulated(seed)
    assert result["parties_unpaid_for_accepted_work"] == 0, result["breaking_orders"]


@HYPOTHESIS
@given(seed=SEEDS)
def test_payouts_leave_within_a_day_of_the_accepted_hand_over(seed, transactional_db):
    result = simulated(seed)
    assert result["payouts"] > 0
    assert result["payout_hours_p95"] <= 24
