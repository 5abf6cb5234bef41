"""Money: exact minor units, refused mixtures, and allocation that never loses a cent."""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import (
    CurrencyMismatch,
    InexactAmount,
    Money,
    MoneyError,
    UnknownCurrency,
    allocate,
    from_decimal,
    parse,
    split_evenly,
    sum_money,
    zero,
)

currencies = st.sampled_from(["EUR", "USD", "GBP", "CHF", "SEK", "JPY"])
minors = st.integers(min_value=-(10**12), max_value=10**12)
moneys = st.builds(Money, minors, currencies)
eur = st.builds(Money, minors, st.just("EUR"))
int_weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    any
)
mixed_weights = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
        st.fractions(min_value=0, max_value=1000, max_denominator=97),
    ),
    min_size=1,
    max_size=10,
).filter(lambda ws: any(w != 0 for w in ws))


def test_one_cent_over_two_equal_weights_is_not_lost():
    assert allocate(Money(1, "EUR"), [1, 1]) == [Money(1, "EUR"), Money(0, "EUR")]


def test_a_hundred_cents_over_three_gives_the_extra_cent_to_the_first():
    assert [m.minor for m in split_evenly(Money(100, "EUR"), 3)] == [34, 33, 33]


def test_negative_totals_mirror_positive_ones():
    assert [m.minor for m in allocate(Money(-100, "EUR"), [1, 1, 1])] == [-34, -33, -33]


def test_zero_weights_get_exactly_zero():
    shares = allocate(Money(1001, "EUR"), [0, 3, 0, 1])
    assert [m.minor for m in shares] == [0, 751, 0, 250]


def test_all_zero_weights_are_refused():
    with pytest.raises(ValueError, match="zero"):
        allocate(Money(100, "EUR"), [0, 0])


def test_empty_weights_are_refused():
    with pytest.raises(ValueError, match="no weights"):
        allocate(Money(100, "EUR"), [])


def test_negative_and_float_weights_are_refused():
    with pytest.raises(ValueError, match="negative"):
        allocate(Money(100, "EUR"), [1, -1])
    with pytest.raises(TypeError):
        allocate(Money(100, "EUR"), [0.5, 0.5])


def test_split_into_zero_shares_is_refused():
    with pytest.raises(ValueError, match="0 shares"):
        split_evenly(Money(100, "EUR"), 0)


@given(total=moneys, weights=mixed_weights)
def test_allocation_always_sums_exactly_to_the_total(total, weights):
    shares = allocate(total, weights)
    assert len(shares) == len(weights)
    assert sum_money(shares, total.currency) == total
    assert all(s.currency == total.currency for s in shares)


@given(total=moneys, weights=mixed_weights)
def test_each_share_is_within_one_minor_unit_of_its_exact_proportion(total, weights):
    fractions = [Fraction(w) for w in weights]
    weight_sum = sum(fractions)
    for share, w in zip(allocate(total, weights), fractions, strict=True):
        exact = Fraction(total.minor) * w / weight_sum
        assert abs(share.minor - exact) < 1


@given(total=moneys, n=st.integers(min_value=1, max_value=50))
def test_equal_weights_get_shares_differing_by_at_most_one_minor_unit(total, n):
    values = [m.minor for m in split_evenly(total, n)]
    assert max(values) - min(values) <= 1
    # The extra units go to the first shares: the order is deterministic.
    assert values == sorted(values, reverse=total.minor >= 0)


@given(total=moneys, weights=int_weights)
def test_allocation_is_deterministic_and_symmetric_under_negation(total, weights):
    assert allocate(total, weights) == allocate(total, list(weights))
    assert allocate(-total, weights) == [-m for m in allocate(total, weights)]


@given(total=eur, weights=int_weights)
def test_scaling_all_weights_does_not_change_the_allocation(total, weights):
    assert allocate(total, weights) == allocate(total, [w * 7 for w in weights])


@given(total=eur, weights=int_weights)
def test_a_larger_weight_never_gets_a_smaller_share(total, weights):
    shares = allocate(abs(total), weights)
    for i in range(len(weights)):
        for j in range(len(weights)):
            if weights[i] > weights[j]:
                assert shares[i] >= shares[j]


@given(a=eur, b=eur, c=eur)
def test_addition_is_associative_and_commutative(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + zero("EUR") == a
    assert a - a == zero("EUR")
    assert a.__neg__().__neg__() == a
    assert a - b == a + (-b)


@given(a=eur, k=st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_an_int_is_repeated_addition(a, k):
    assert a * k == k * a
    assert (a * k).minor == a.minor * k


@given(a=eur, b=eur)
def test_comparison_agrees_with_minor_units(a, b):
    assert (a < b) == (a.minor < b.minor)
    assert (a <= b) == (a.minor <= b.minor)
    assert (a > b) == (a.minor > b.minor)
    assert max(a, b).minor == max(a.minor, b.minor)


@given(m=moneys)
def test_formatting_and_parsing_round_trip(m):
    assert parse(str(m)) == m
    assert from_decimal(m.amount, m.currency) == m


def test_mixed_currencies_are_refused():
    eur_, usd = Money(100, "EUR"), Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        eur_ + usd
    with pytest.raises(CurrencyMismatch):
        eur_ - usd
    with pytest.raises(CurrencyMismatch):
        eur_ < usd  # noqa: B015
    with pytest.raises(CurrencyMismatch):
        sum_money([eur_, usd], "EUR")
    with pytest.raises(CurrencyMismatch):
        sum_money([usd], "EUR")
    assert eur_ != usd


def test_floats_are_refused_everywhere():
    with pytest.raises(TypeError):
        Money(1.0, "EUR")
    with pytest.raises(TypeError):
        from_decimal(12.34, "EUR")
    with pytest.raises(TypeError):
        Money(100, "EUR") * 1.5
    with pytest.raises(TypeError):
        Money(True, "EUR")


def test_unknown_or_lower_case_currencies_are_refused():
    for code in ("eur", "EURO", "XYZ", "", None):
        with pytest.raises(UnknownCurrency):
            Money(1, code)


def test_formatting_uses_the_currency_exponent():
    assert str(Money(1234, "EUR")) == "12.34 EUR"
    assert str(Money(-5, "EUR")) == "-0.05 EUR"
    assert str(Money(1200, "JPY")) == "1200 JPY"
    assert Money(1234, "EUR").amount == Decimal("12.34")


def test_inexact_decimals_are_refused_unless_a_rounding_mode_is_named():
    with pytest.raises(InexactAmount):
        from_decimal(Decimal("12.345"), "EUR")
    with pytest.raises(InexactAmount):
        parse("12.345 EUR")
    with pytest.raises(InexactAmount):
        from_decimal(Decimal("0.5"), "JPY")
    assert from_decimal(Decimal("12.345"), "EUR", rounding=ROUND_HALF_EVEN) == Money(1234, "EUR")
    assert from_decimal(Decimal("12.355"), "EUR", rounding=ROUND_HALF_EVEN) == Money(1236, "EUR")
    assert from_decimal(Decimal("12.345"), "EUR", rounding=ROUND_HALF_UP) == Money(1235, "EUR")
    assert from_decimal("12.30", "EUR") == Money(1230, "EUR")
    assert from_decimal(Decimal("12.3000"), "EUR") == Money(1230, "EUR")


def test_garbage_text_is_refused():
    for text in ("12,34 EUR", "EUR 12.34", "12.34", "1e3 EUR", "NaN EUR", ""):
        with pytest.raises(MoneyError):
            parse(text)
    with pytest.raises(MoneyError):
        from_decimal(Decimal("Infinity"), "EUR")


def test_money_is_immutable_and_hashable():
    m = Money(100, "EUR")
    with pytest.raises(AttributeError):
        m.minor = 5
    assert {m, Money(100, "EUR")} == {m}
