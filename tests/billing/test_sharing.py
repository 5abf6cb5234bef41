"""The profit-sharing rule: exact, non-negative, symmetric, monotone, and explained."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import CurrencyMismatch, Money, sum_money
from billing.sharing import (
    NegativeMargin,
    PartyContribution,
    Quality,
    days_late,
    order_split,
    punctuality_factor,
    share_margin,
)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


@st.composite
def contributions(draw, party_id: str = "p"):
    price = draw(st.integers(min_value=0, max_value=10**7))
    runner_up = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=3 * 10**7)))
    reference = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=3 * 10**7)))
    return PartyContribution(
        party_id=party_id,
        price=eur(price),
        runner_up_price=None if runner_up is None else eur(runner_up),
        days_late=draw(st.integers(min_value=0, max_value=12)),
        quality=draw(st.sampled_from(list(Quality))),
        reference_price=None if reference is None else eur(reference),
    )


@st.composite
def orders(draw, min_size: int = 1):
    n = draw(st.integers(min_value=min_size, max_value=6))
    parties = [draw(contributions(party_id=f"p{i}")) for i in range(n)]
    margin = eur(draw(st.integers(min_value=0, max_value=10**7)))
    return margin, parties


@given(orders())
def test_every_minor_unit_of_the_margin_goes_to_a_party_or_the_rebate(order):
    margin, parties = order
    shares = share_margin(margin=margin, parties=parties)
    total = sum_money((s.margin_share for s in shares), "EUR")
    rebate = sum_money((s.forfeited for s in shares), "EUR")
    assert total <= margin
    if sum(s.market_value.minor for s in shares):
        assert total + rebate == margin
    assert all(s.margin_share.minor >= 0 and s.forfeited.minor >= 0 for s in shares)
    assert all(s.payable == s.price + s.margin_share for s in shares)
    assert [s.party_id for s in shares] == [p.party_id for p in parties]


@given(orders())
def test_on_time_accepted_work_allocates_the_whole_margin(order):
    margin, parties = order
    parties = [replace(p, days_late=0, quality=Quality.ACCEPTED) for p in parties]
    shares = share_margin(margin=margin, parties=parties)
    if sum(s.market_value.minor for s in shares):
        assert sum_money((s.margin_share for s in shares), "EUR") == margin
    assert all(s.forfeited.minor == 0 for s in shares)


@given(contributions(), st.integers(min_value=2, max_value=5), st.integers(0, 10**7))
def test_identical_parties_get_shares_within_one_minor_unit(party, n, margin):
    parties = [replace(party, party_id=f"p{i}") for i in range(n)]
    values = [s.margin_share.minor for s in share_margin(margin=eur(margin), parties=parties)]
    assert max(values) - min(values) <= 1
    # The extra unit goes to the earliest listed party.
    assert values == sorted(values, reverse=True)


@given(orders(), st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=10**6))
def test_a_larger_saving_never_means_a_smaller_share(order, index, extra):
    margin, parties = order
    index %= len(parties)
    p = parties[index]
    if p.runner_up_price is None:
        return
    better = replace(p, runner_up_price=p.runner_up_price + eur(extra))
    before = share_margin(margin=margin, parties=parties)[index].margin_share
    after = share_margin(margin=margin, parties=[*parties[:index], better, *parties[index + 1 :]])
    assert after[index].margin_share >= before


@given(orders(), st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=5))
def test_being_later_never_means_a_larger_share(order, index, more_days):
    margin, parties = order
    index %= len(parties)
    later = replace(parties[index], days_late=parties[index].days_late + more_days)
    before = share_margin(margin=margin, parties=parties)[index].margin_share
    after = share_margin(margin=margin, parties=[*parties[:index], later, *parties[index + 1 :]])
    assert after[index].margin_share <= before


@settings(max_examples=50)
@given(orders(), st.integers(min_value=0, max_value=5))
def test_worse_quality_never_means_a_larger_share(order, index):
    margin, parties = order
    index %= len(parties)
    results = []
    for quality in (Quality.ACCEPTED, Quality.REWORKED, Quality.REJECTED):
        changed = replace(parties[index], quality=quality)
        new = [*parties[:index], changed, *parties[index + 1 :]]
        results.append(share_margin(margin=margin, parties=new)[index].margin_share)
    assert results[0] >= results[1] >= results[2]


@given(orders())
def test_order_split_accounts_for_every_minor_unit_of_the_customer_price(order):
    margin, parties = order
    fee = eur(500)
    customer_price = sum_money((p.price for p in parties), "EUR") + fee + margin
    split = order_split(customer_price=customer_price, platform_fee=fee, parties=parties)
    assert split.margin == margin
    paid = sum_money(split.payables.values(), "EUR")
    assert paid + split.customer_rebate == customer_price
    assert split.customer_rebate.minor >= 0


def test_punctuality_falls_ten_percent_a_day_to_a_floor_of_one_fifth():
    assert [punctuality_factor(d) for d in (0, 1, 2, 7, 8, 30)] == [
        Fraction(1),
        Fraction(9, 10),
        Fraction(4, 5),
        Fraction(3, 10),
        Fraction(1, 5),
        Fraction(1, 5),
    ]
    with pytest.raises(ValueError, match="days_late"):
        punctuality_factor(-1)


def test_lateness_penalty_is_exact_on_a_worked_example():
    # Two identical 100.00 EUR parties with a 150.00 EUR runner-up: weights 75 each.
    # B is 3 days late (0.70): weights 75 and 52.5 of base 150, margin 30.00 EUR.
    on_time = PartyContribution("a", eur(10000), eur(15000))
    late = PartyContribution("b", eur(10000), eur(15000), days_late=3)
    a, b = share_margin(margin=eur(3000), parties=[on_time, late])
    assert a.margin_share == eur(1500)  # 30.00 * 75 / 150
    assert b.margin_share == eur(1050)  # 30.00 * 52.5 / 150
    assert b.forfeited == eur(450)  # 30 % of the 15.00 it would have had
    assert b.punctuality == Fraction(7, 10)
    assert "3 days late (factor 0.70" in b.explanation
    assert "4.50 EUR of your share to the customer as a rebate" in b.explanation


def test_quality_penalties_are_exact_on_a_worked_example():
    parties = [
        PartyContribution("ok", eur(10000), eur(20000)),
        PartyContribution("redo", eur(10000), eur(20000), quality=Quality.REWORKED),
        PartyContribution("bad", eur(10000), eur(20000), quality=Quality.REJECTED),
    ]
    ok, redo, bad = share_margin(margin=eur(9000), parties=parties)
    assert (ok.margin_share, redo.margin_share, bad.margin_share) == (eur(3000), eur(1500), eur(0))
    assert (redo.forfeited, bad.forfeited) == (eur(1500), eur(3000))


def test_the_market_value_is_the_runner_up_bounded_by_the_reference():
    parties = [
        PartyContribution("cheap", eur(1000), eur(50000), reference_price=eur(2000)),
        PartyContribution("unique", eur(1000), None, reference_price=eur(2000)),
        PartyContribution("plain", eur(1000), eur(1500), reference_price=eur(2000)),
        PartyContribution("pricier", eur(1000), eur(900), reference_price=eur(2000)),
        PartyContribution("legacy", eur(1000), None),
    ]
    cheap, unique, plain, pricier, legacy = share_margin(margin=eur(3750), parties=parties)
    assert (cheap.market_value, cheap.saving, cheap.capped) == (eur(2000), eur(1000), True)
    assert (unique.market_value, unique.saving, unique.capped) == (eur(2000), eur(1000), True)
    assert (plain.market_value, plain.saving, plain.capped) == (eur(1500), eur(500), False)
    assert (pricier.market_value, pricier.saving) == (eur(900), eur(0))
    assert (legacy.market_value, legacy.saving) == (eur(1000), eur(0))
    # Weights: half of each market value, 1000, 1000, 750, 450, 500 of 3700.
    assert [s.weight for s in (cheap, unique, plain, pricier, legacy)] == [
        1000,
        1000,
        750,
        450,
        500,
    ]
    assert "offers count up to the reference price for the work" in cheap.explanation
    assert "valued at the reference price for the work: 20.00 EUR" in unique.explanation
    assert "Your price counts up to that value, 9.00 EUR" in pricier.explanation
    assert "no reference price was recorded" in legacy.explanation


def test_an_irreplaceable_party_no_longer_earns_double_per_euro():
    # Old rule: no runner-up counted as a saving equal to the price, so "unique" had weight
    # 1000 against "plain"'s 500 for the same price. Without a recorded reference it now
    # weighs like any party with no saving; with one, it is valued at the reference.
    unique = PartyContribution("unique", eur(1000), None)
    plain = PartyContribution("plain", eur(1000), eur(1000))
    a, b = share_margin(margin=eur(1000), parties=[unique, plain])
    assert a.weight == b.weight == 500
    assert a.margin_share == b.margin_share == eur(500)


def test_an_inflated_runner_up_counts_no_more_than_the_reference():
    # A colluding organization quoting 500.00 EUR for 10.00 EUR of work: the old rule let the
    # saving reach the cap (weight 1000), the reference of 11.00 EUR bounds it (weight 550).
    colluded = PartyContribution("x", eur(1000), eur(50000), reference_price=eur(1100))
    (share,) = share_margin(margin=eur(100), parties=[colluded])
    assert share.weight == 550
    assert share.saving == eur(100)


@st.composite
def own_price_raises(draw):
    """One party of an order, then the same party with a higher price (all else equal)."""
    margin, parties = draw(orders())
    index = draw(st.integers(min_value=0, max_value=len(parties) - 1))
    raise_by = draw(st.integers(min_value=1, max_value=10**7))
    p = parties[index]
    dearer = replace(p, price=p.price + eur(raise_by))
    return margin, parties, index, dearer, raise_by


@given(own_price_raises())
def test_raising_your_own_price_never_raises_your_weight_or_your_share(case):
    margin, parties, index, dearer, raise_by = case
    p = parties[index]
    before = share_margin(margin=margin, parties=parties)[index]
    after = share_margin(margin=margin, parties=[*parties[:index], dearer, *parties[index + 1 :]])
    after = after[index]
    assert after.saving <= before.saving
    if p.runner_up_price is None and p.reference_price is None:
        # Nothing to value the work by but its own price: it counts like a price share,
        # at half rate, never at the double rate the old cap gave irreplaceable parties.
        assert after.weight - before.weight <= Fraction(raise_by, 2) * after.punctuality
    else:
        assert after.weight <= before.weight
        assert after.margin_share <= before.margin_share


@given(contributions(), st.integers(min_value=0, max_value=10**7))
def test_the_base_weight_is_half_the_market_value_whatever_the_price(party, price):
    party = replace(party, price=eur(price), days_late=0, quality=Quality.ACCEPTED)
    (share,) = share_margin(margin=eur(100), parties=[party])
    assert share.weight == Fraction(share.market_value.minor, 2)
    if party.reference_price is not None:
        assert share.market_value <= party.reference_price


def test_raising_your_price_within_the_runner_up_does_not_raise_your_weight():
    low = PartyContribution("x", eur(12000), eur(15000))
    high = PartyContribution("x", eur(14000), eur(15000))
    other = PartyContribution("y", eur(5000), eur(6000))
    w_low = share_margin(margin=eur(1000), parties=[low, other])[0].weight
    w_high = share_margin(margin=eur(1000), parties=[high, other])[0].weight
    assert w_low == w_high == 7500


def test_explanation_states_every_number():
    share = share_margin(
        margin=eur(4000), parties=[PartyContribution("m", eur(12000), eur(15000))]
    )[0]
    assert share.explanation == (
        "Your price 120.00 EUR. Without you the next-best offer would have cost 150.00 EUR, "
        "so you saved the order 30.00 EUR. Your weight is half your price plus half your "
        "saving: 60.00 EUR + 15.00 EUR = 75.00 EUR. You delivered on time (factor 1.00). "
        "Your work passed inspection first time (factor 1.00). Your share of the 40.00 EUR "
        "margin: 40.00 EUR, so you are paid 160.00 EUR."
    )


def test_zero_margin_gives_zero_shares():
    parties = [PartyContribution("a", eur(100), eur(200)), PartyContribution("b", eur(50), None)]
    assert [s.margin_share for s in share_margin(margin=eur(0), parties=parties)] == [
        eur(0),
        eur(0),
    ]


def test_a_single_party_on_time_takes_the_whole_margin():
    (share,) = share_margin(margin=eur(999), parties=[PartyContribution("a", eur(1), None)])
    assert share.margin_share == eur(999)


def test_parties_with_no_price_leave_the_margin_to_the_customer():
    split = order_split(
        customer_price=eur(700),
        platform_fee=eur(200),
        parties=[PartyContribution("a", eur(0), None)],
    )
    assert split.shares[0].margin_share == eur(0)
    assert split.customer_rebate == eur(500)


def test_currency_mismatch_is_refused():
    with pytest.raises(CurrencyMismatch):
        share_margin(margin=eur(100), parties=[PartyContribution("a", Money(100, "USD"), None)])
    with pytest.raises(CurrencyMismatch):
        share_margin(margin=eur(100), parties=[PartyContribution("a", eur(100), Money(200, "USD"))])
    with pytest.raises(CurrencyMismatch):
        order_split(
            customer_price=eur(1000),
            platform_fee=Money(10, "USD"),
            parties=[PartyContribution("a", eur(100), None)],
        )


def test_a_customer_price_below_cost_is_refused():
    with pytest.raises(NegativeMargin):
        order_split(
            customer_price=eur(1000),
            platform_fee=eur(100),
            parties=[PartyContribution("a", eur(950), None)],
        )


def test_duplicate_parties_and_empty_orders_are_refused():
    a = PartyContribution("a", eur(100), None)
    with pytest.raises(ValueError, match="twice"):
        share_margin(margin=eur(10), parties=[a, a])
    with pytest.raises(ValueError, match="at least one party"):
        share_margin(margin=eur(10), parties=[])


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**6))
def test_an_order_that_pays_nobody_gives_everything_beyond_the_fee_back(kept, fee):
    """A dispute decision may pay no party; the split then refunds the rest instead of
    refusing (an empty split stopped the release of such an order)."""
    if fee > kept:
        with pytest.raises(NegativeMargin):
            order_split(customer_price=eur(kept), platform_fee=eur(fee), parties=[])
        return
    split = order_split(customer_price=eur(kept), platform_fee=eur(fee), parties=[])
    assert split.shares == []
    assert split.customer_rebate == eur(kept - fee)
    assert sum_money(split.payables.values(), "EUR") + split.customer_rebate == eur(kept)


PROMISED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_one_second_late_costs_nothing_and_days_count_after_the_grace():
    grace = timedelta(hours=24)
    late = [timedelta(seconds=1), grace, grace + timedelta(seconds=1), grace + timedelta(days=1)]
    late.append(grace + timedelta(days=1, seconds=1))
    assert [days_late(finished=PROMISED + d, promised=PROMISED, grace=grace) for d in late] == [
        0,
        0,
        1,
        1,
        2,
    ]
    assert days_late(finished=PROMISED - timedelta(days=3), promised=PROMISED) == 0
    assert (
        days_late(finished=PROMISED + timedelta(seconds=1), promised=PROMISED, grace=timedelta(0))
        == 1
    )


@given(
    st.integers(min_value=-(10**7), max_value=10**7),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=72),
)
def test_lateness_never_falls_as_the_finish_moves_later_and_never_counts_the_grace(
    seconds, later, grace_hours
):
    grace = timedelta(hours=grace_hours)
    first = days_late(
        finished=PROMISED + timedelta(seconds=seconds), promised=PROMISED, grace=grace
    )
    second = days_late(
        finished=PROMISED + timedelta(seconds=seconds + later), promised=PROMISED, grace=grace
    )
    assert 0 <= first <= second
    if timedelta(seconds=seconds) <= grace:
        assert first == 0
    else:
        assert first == -(-(timedelta(seconds=seconds) - grace) // timedelta(days=1))


def test_the_documented_sole_anodizer_example_holds():
    # docs/profit-sharing.md, example 2.
    split = order_split(
        customer_price=eur(40000),
        platform_fee=eur(2000),
        parties=[
            PartyContribution("bob", eur(12000), eur(15000), reference_price=eur(15000)),
            PartyContribution("dana", eur(8000), None, reference_price=eur(8000)),
            PartyContribution("eve", eur(3000), eur(3500), days_late=2, reference_price=eur(3500)),
            PartyContribution(
                "frank",
                eur(2000),
                eur(9000),
                quality=Quality.REWORKED,
                reference_price=eur(3000),
            ),
        ],
    )
    assert [s.margin_share.minor for s in split.shares] == [6610, 3525, 1234, 661]
    assert [s.forfeited.minor for s in split.shares] == [0, 0, 309, 661]
    assert split.customer_rebate == eur(970)
