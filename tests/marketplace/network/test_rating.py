"""The workshop rating: stars lowered by inspections that found bad work, always 1 to 5
stars; passes never lower it, reworks and rejections never raise it, and a worse outcome or
fewer stars never rate a workshop higher."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.network.rating import (
    InspectionCounts,
    quality_factor,
    quality_words,
    rating_sentence,
    workshop_rating,
)

stars_lists = st.lists(st.integers(min_value=1, max_value=5), max_size=40)
counts = st.builds(
    InspectionCounts,
    passed=st.integers(min_value=0, max_value=500),
    reworked=st.integers(min_value=0, max_value=500),
    rejected=st.integers(min_value=0, max_value=500),
)
OUTCOMES = ("passed", "reworked", "rejected")  # best first


def _plus(c: InspectionCounts, outcome: str, n: int = 1) -> InspectionCounts:
    values = {"passed": c.passed, "reworked": c.reworked, "rejected": c.rejected}
    values[outcome] += n
    return InspectionCounts(**values)


def _rating(stars, c) -> Decimal:
    return workshop_rating(stars=stars, inspections=c)


@given(stars=stars_lists, c=counts)
def test_the_rating_stays_between_one_and_five_stars(stars, c):
    rating = _rating(stars, c)
    if not stars and not c.total:
        assert rating is None
    else:
        assert Decimal(1) <= rating <= Decimal(5)
        assert rating == rating.quantize(Decimal("0.01"))
        assert len(rating.as_tuple().digits) <= 3  # fits the column (3 digits, 2 places)


@given(stars=stars_lists, c=counts, outcome=st.sampled_from(OUTCOMES))
def test_a_pass_never_lowers_it_and_a_rework_or_rejection_never_raises_it(stars, c, outcome):
    before, after = _rating(stars, c), _rating(stars, _plus(c, outcome))
    if before is None:
        return
    if outcome == "passed":
        assert after >= before
    else:
        assert after <= before
        # Unrounded, every failure lowers what the stars hold above the floor.
        assert quality_factor(_plus(c, outcome)) < quality_factor(c)


@given(stars=stars_lists, c=counts, better=st.sampled_from(range(2)))
def test_a_worse_outcome_never_rates_higher(stars, c, better):
    """One inspected step more, judged worse: the rating is at most the better judgement's."""
    good, bad = OUTCOMES[better], OUTCOMES[better + 1]
    assert _rating(stars, _plus(c, bad)) <= _rating(stars, _plus(c, good))
    assert quality_factor(_plus(c, bad)) < quality_factor(_plus(c, good))


@given(stars=stars_lists.filter(bool), c=counts, index=st.integers(min_value=0))
def test_one_more_star_on_a_review_never_rates_lower(stars, c, index):
    i = index % len(stars)
    if stars[i] == 5:
        return
    more = [*stars[:i], stars[i] + 1, *stars[i + 1 :]]
    assert _rating(more, c) >= _rating(stars, c)


@given(stars=stars_lists.filter(bool), passed=st.integers(min_value=0, max_value=500))
def test_without_failures_the_rating_is_the_mean_of_the_stars(stars, passed):
    mean = Fraction(sum(stars), len(stars))
    expected = Decimal(mean.numerator) / Decimal(mean.denominator)
    assert _rating(stars, InspectionCounts(passed=passed)) == expected.quantize(Decimal("0.01"))


def test_rejections_sink_a_rating_below_the_matchers_floor_and_passes_bring_it_back():
    stars = [5, 5, 4]
    assert _rating(stars, InspectionCounts()) == Decimal("4.67")
    assert _rating(stars, InspectionCounts(reworked=1)) == Decimal("4.26")
    assert _rating(stars, InspectionCounts(rejected=1)) == Decimal("3.93")
    assert _rating(stars, InspectionCounts(rejected=4)) < 3  # MATCHING_MIN_RATING
    assert _rating(stars, InspectionCounts(passed=60, rejected=4)) > Decimal("4.2")


def test_inspections_alone_rate_a_workshop_nobody_reviewed():
    assert _rating([], InspectionCounts(passed=2)) == Decimal("5.00")
    assert _rating([], InspectionCounts(passed=2, rejected=1)) == Decimal("4.33")


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="never negative"):
        InspectionCounts(passed=-1)
    with pytest.raises(ValueError, match="1 to 5 stars"):
        workshop_rating(stars=[6], inspections=InspectionCounts())


def test_the_profile_says_it_in_words():
    c = InspectionCounts(passed=12, reworked=1, rejected=1)
    assert quality_words(c) == (
        "12 of 14 inspected steps passed first time; 1 had to be reworked and 1 rejected."
    )
    assert quality_words(InspectionCounts(passed=1)) == "1 of 1 inspected step passed first time."
    assert quality_words(InspectionCounts()) == "No step of this workshop has been inspected yet."
    assert rating_sentence(rating=Decimal("4.31"), reviews=3, counts=c) == (
        "Rated 4.31 of 5, very good, from 3 reviews and 14 inspected steps."
    )
    assert rating_sentence(rating=Decimal("2.50"), reviews=1, counts=InspectionCounts()) == (
        "Rated 2.50 of 5, fair, from 1 review."
    )
    assert rating_sentence(rating=None, reviews=0, counts=InspectionCounts()).startswith(
        "Not rated yet"
    )
