"""The judging core: pass only within tolerance, and the factor the sharing rule gives the
judged outcome agrees with the measurements, over many random measurement sets."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.sharing import QUALITY_FACTORS, Quality
from marketplace.quality.judging import (
    TOLERANCE_CLASSES_MM,
    Dimension,
    JudgingError,
    Outcome,
    allowed_outcomes,
    judge,
    review_quality,
    tolerance_for,
)


def dim(name="bore", nominal="10", measured="10", tolerance="0.05") -> Dimension:
    return Dimension(name, Decimal(nominal), Decimal(measured), Decimal(tolerance))


def test_a_measurement_exactly_on_the_limit_is_in_tolerance():
    assert dim(measured="10.05").within_tolerance
    assert dim(measured="9.95").within_tolerance
    assert not dim(measured="10.0501").within_tolerance


def test_pass_is_refused_while_a_dimension_is_out_of_tolerance():
    with pytest.raises(JudgingError, match="Out of tolerance: slot"):
        judge(outcome=Outcome.PASS, dimensions=[dim(), dim("slot", "5", "5.2", "0.1")])
    assert judge(outcome=Outcome.REWORK, dimensions=[dim("slot", "5", "5.2")]) == Outcome.REWORK


def test_repeated_or_blank_names_and_zero_tolerances_are_refused():
    with pytest.raises(JudgingError, match="twice"):
        judge(outcome=Outcome.PASS, dimensions=[dim("Bore"), dim("bore")])
    with pytest.raises(JudgingError, match="name"):
        judge(outcome=Outcome.PASS, dimensions=[dim(" ")])
    with pytest.raises(JudgingError, match="more than 0"):
        judge(outcome=Outcome.PASS, dimensions=[dim(tolerance="0")])


def test_tolerance_classes_and_unknown_ones():
    assert tolerance_for("high-precision") == Decimal("0.02")
    assert tolerance_for("precision") == Decimal("0.05")
    assert tolerance_for("nonsense") == Decimal("0.1")


def test_a_rejected_review_counts_as_rejected_whatever_was_recorded():
    assert review_quality(outcome=Outcome.PASS, accepted=False) == Quality.REJECTED
    assert review_quality(outcome=Outcome.REWORK, accepted=True) == Quality.REWORKED


sizes = st.decimals(min_value=0, max_value=500, places=3)
tolerances = st.decimals(min_value=Decimal("0.001"), max_value=1, places=3)
deviations = st.decimals(min_value=-2, max_value=2, places=3)


@st.composite
def measurement_sets(draw) -> list[Dimension]:
    count = draw(st.integers(min_value=0, max_value=8))
    dimensions = []
    for i in range(count):
        nominal = draw(sizes) + 2
        dimensions.append(Dimension(f"d{i}", nominal, nominal + draw(deviations), draw(tolerances)))
    return dimensions


@settings(max_examples=400, deadline=None)
@given(dimensions=measurement_sets(), outcome=st.sampled_from(Outcome), accepted=st.booleans())
def test_the_judgement_and_the_quality_factor_agree(dimensions, outcome, accepted):
    all_within = all(abs(d.measured_mm - d.nominal_mm) <= d.tolerance_mm for d in dimensions)
    try:
        judged = judge(outcome=outcome, dimensions=dimensions)
    except JudgingError as refused:
        code = refused.code
        assert outcome == Outcome.PASS
        assert not all_within or not dimensions  # nothing measured proves nothing
        assert code == ("out_of_tolerance" if dimensions else "measurements_required")
        return
    assert judged == outcome
    assert (Outcome.PASS in allowed_outcomes(dimensions)) == all_within
    factor = QUALITY_FACTORS[review_quality(outcome=judged, accepted=accepted)]
    # Full share only for parts found in tolerance, passed and accepted downstream.
    assert (factor == 1) == (accepted and judged == Outcome.PASS)
    if not all_within:
        assert factor < 1
    assert 0 <= factor <= 1


def test_a_pass_needs_a_measurement_and_negative_sizes_have_their_own_code():
    with pytest.raises(JudgingError, match="at least one measured dimension") as refused:
        judge(outcome=Outcome.PASS, dimensions=[])
    assert refused.value.code == "measurements_required"
    assert judge(outcome=Outcome.REWORK, dimensions=[]) == Outcome.REWORK
    with pytest.raises(JudgingError, match="cannot be negative") as refused:
        judge(outcome=Outcome.REWORK, dimensions=[dim(measured="-1")])
    assert refused.value.code == "negative_size"


@settings(max_examples=300, deadline=None)
@given(
    tolerance=st.decimals(min_value="0.0001", max_value=100, places=4),
    widest=st.sampled_from(sorted(TOLERANCE_CLASSES_MM.values())),
)
def test_a_given_tolerance_is_never_wider_than_the_lines_class(tolerance, widest):
    dimension = dim(measured="10", tolerance=str(tolerance))
    try:
        judge(outcome=Outcome.PASS, dimensions=[dimension], widest_tolerance_mm=widest)
    except JudgingError as refused:
        code = refused.code
        assert tolerance > widest
        assert code == "tolerance_too_wide"
    else:
        assert tolerance <= widest
