"""A workshop's rating: the customers' stars, lowered by inspections that found bad work.

Pure and Django-free so its bounds and monotonicity can be property-tested. Reviews give the
base (the mean of their stars; 5 while there is none but there are inspections). Inspection
results scale what the base holds above the lowest rating:

    rating = 1 + (base - 1) * q,   q = (passed + PRIOR_PASSES) / (passed + PRIOR_PASSES
                                        + REWORK_WEIGHT * reworked + REJECT_WEIGHT * rejected)

So every rework or rejection lowers the rating (a rejection twice as much), every pass moves it
back towards the base, and the rating stays within 1 to 5 stars whatever the counts. The prior
passes keep one early failure from sinking a new workshop at once. The matcher leaves out
workshops rated below ``MATCHING_MIN_RATING`` (see the network snapshot), so these numbers
decide who is offered work: changing one is a product decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

__all__ = [
    "PRIOR_PASSES",
    "REJECT_WEIGHT",
    "REWORK_WEIGHT",
    "InspectionCounts",
    "quality_words",
    "rating_sentence",
    "rating_words",
    "workshop_rating",
]

PRIOR_PASSES = 8  # passes every workshop is credited with before its first inspection
REWORK_WEIGHT = 1  # how many passes' worth of trust one rework costs
REJECT_WEIGHT = 2  # ... and one rejection
LOWEST, HIGHEST = 1, 5  # stars
_CENTS = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class InspectionCounts:
    """How a workshop's inspected steps came out (values of ``billing.sharing.Quality``)."""

    passed: int = 0  # accepted first time
    reworked: int = 0  # fixed by the workshop after inspection
    rejected: int = 0  # unusable: someone else had to redo it

    def __post_init__(self) -> None:
        if min(self.passed, self.reworked, self.rejected) < 0:
            raise ValueError("Inspection counts are never negative.")

    @property
    def total(self) -> int:
        return self.passed + self.reworked + self.rejected


def quality_factor(counts: InspectionCounts) -> Fraction:
    """The share of the base the rating keeps: 1 with no failure, towards 0 as failures mount."""
    trusted = counts.passed + PRIOR_PASSES
    return Fraction(
        trusted,
        trusted + REWORK_WEIGHT * counts.reworked + REJECT_WEIGHT * counts.rejected,
    )


def workshop_rating(*, stars: Sequence[int], inspections: InspectionCounts) -> Decimal | None:
    """The rating in stars with two decimals, or None with neither a review nor an inspection."""
    if any(not LOWEST <= s <= HIGHEST for s in stars):
        raise ValueError("A review gives 1 to 5 stars.")
    if stars:
        base = Fraction(sum(stars), len(stars))
    elif inspections.total:
        base = Fraction(HIGHEST)
    else:
        return None
    value = LOWEST + (base - LOWEST) * quality_factor(inspections)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        _CENTS, rounding=ROUND_HALF_EVEN
    )


def rating_words(rating: Decimal | None) -> str:
    """The rating in one word for the public profile."""
    if rating is None:
        return "not rated yet"
    if rating >= Decimal("4.5"):
        return "excellent"
    if rating >= 4:
        return "very good"
    if rating >= 3:
        return "good"
    if rating >= 2:
        return "fair"
    return "poor"


def rating_sentence(*, rating: Decimal | None, reviews: int, counts: InspectionCounts) -> str:
    """The rating with what it rests on, as the public profile says it."""
    if rating is None:
        return "Not rated yet: no review and no inspected step."
    sources = []
    if reviews:
        sources.append(f"{reviews} review{'' if reviews == 1 else 's'}")
    if counts.total:
        sources.append(f"{counts.total} inspected step{'' if counts.total == 1 else 's'}")
    basis = f" from {' and '.join(sources)}" if sources else ""
    return f"Rated {rating} of 5, {rating_words(rating)},{basis}."


def quality_words(counts: InspectionCounts) -> str:
    """How the workshop's inspected steps came out, as a sentence."""
    if not counts.total:
        return "No step of this workshop has been inspected yet."
    steps = "step" if counts.total == 1 else "steps"
    text = f"{counts.passed} of {counts.total} inspected {steps} passed first time"
    failures = [
        f"{n} {word}"
        for n, word in ((counts.reworked, "had to be reworked"), (counts.rejected, "rejected"))
        if n
    ]
    if failures:
        text += "; " + " and ".join(failures)
    return text + "."
