"""Judging measured dimensions against their tolerances, and what an outcome is worth.

Pure (no Django), so the rule the service enforces, the page explains and the randomized
tests check is one function. Lengths are ``Decimal`` millimetres, so a measurement exactly on
the limit is in tolerance whatever its digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billing.sharing import Quality

# The +/- tolerance of each class a customer picks on a quote line (QuoteRequest.Tolerance).
TOLERANCE_CLASSES_MM: dict[str, Decimal] = {
    "standard": Decimal("0.1"),  # mm
    "precision": Decimal("0.05"),  # mm
    "high-precision": Decimal("0.02"),  # mm
}
# Classes tight enough that the order needs an inspection report.
TIGHT_CLASSES = frozenset({"precision", "high-precision"})


class Outcome(StrEnum):
    """What the inspecting workshop says of the step's parts."""

    PASS = "pass"
    REWORK = "rework"
    REJECT = "reject"


# The step's inspection outcome (read by billing's sharing rule) once a record is accepted.
OUTCOME_QUALITY: dict[Outcome, Quality] = {
    Outcome.PASS: Quality.ACCEPTED,
    Outcome.REWORK: Quality.REWORKED,
    Outcome.REJECT: Quality.REJECTED,
}


@dataclass(frozen=True)
class Dimension:
    """One measured dimension: its nominal size, what was measured and the +/- allowed."""

    name: str
    nominal_mm: Decimal
    measured_mm: Decimal
    tolerance_mm: Decimal

    @property
    def deviation_mm(self) -> Decimal:
        return self.measured_mm - self.nominal_mm

    @property
    def within_tolerance(self) -> bool:
        return abs(self.deviation_mm) <= self.tolerance_mm


class JudgingError(ValueError):
    """A measurement set or an outcome that cannot be accepted, with a message for the user
    and a code that says which rule refused it."""

    def __init__(self, message: str, code: str = "out_of_tolerance") -> None:
        super().__init__(message)
        self.code = code


def tolerance_for(tolerance_class: str) -> Decimal:
    """The +/- tolerance of a class; an unknown class is the standard one."""
    return TOLERANCE_CLASSES_MM.get(tolerance_class, TOLERANCE_CLASSES_MM["standard"])


def out_of_tolerance(dimensions: Iterable[Dimension]) -> list[Dimension]:
    return [d for d in dimensions if not d.within_tolerance]


def check_dimensions(
    dimensions: Sequence[Dimension], *, widest_tolerance_mm: Decimal | None = None
) -> None:
    """Refuses sets no inspection could have measured: blank or repeated names, negative sizes
    or tolerances; and a tolerance wider than the line's class, which would let any part pass.
    """
    seen: set[str] = set()
    for d in dimensions:
        name = d.name.strip()
        if not name:
            raise JudgingError("Give every measured dimension a name.", "invalid_dimension")
        if name.lower() in seen:
            raise JudgingError(f"The dimension {name!r} is listed twice.", "invalid_dimension")
        seen.add(name.lower())
        if d.nominal_mm < 0 or d.measured_mm < 0:
            raise JudgingError(f"{name}: sizes cannot be negative.", "negative_size")
        if d.tolerance_mm <= 0:
            raise JudgingError(
                f"{name}: the tolerance must be more than 0 mm.", "invalid_tolerance"
            )
        if widest_tolerance_mm is not None and d.tolerance_mm > widest_tolerance_mm:
            raise JudgingError(
                f"{name}: ±{d.tolerance_mm.normalize():f} mm is wider than the line's tolerance "
                f"class (±{widest_tolerance_mm.normalize():f} mm); leave it empty or give a "
                "tighter one.",
                "tolerance_too_wide",
            )


def allowed_outcomes(dimensions: Sequence[Dimension]) -> tuple[Outcome, ...]:
    """Pass only while every dimension is within its tolerance; rework or reject always."""
    if out_of_tolerance(dimensions):
        return (Outcome.REWORK, Outcome.REJECT)
    return (Outcome.PASS, Outcome.REWORK, Outcome.REJECT)


def judge(
    *,
    outcome: Outcome,
    dimensions: Sequence[Dimension],
    widest_tolerance_mm: Decimal | None = None,
) -> Outcome:
    """The outcome if the measurements allow it; raises JudgingError otherwise. A pass needs
    at least one measured dimension: nothing measured proves nothing."""
    check_dimensions(dimensions, widest_tolerance_mm=widest_tolerance_mm)
    if outcome == Outcome.PASS and not dimensions:
        raise JudgingError(
            "Record at least one measured dimension to pass the parts.", "measurements_required"
        )
    if outcome not in allowed_outcomes(dimensions):
        names = ", ".join(d.name for d in out_of_tolerance(dimensions))
        raise JudgingError(
            f"Out of tolerance: {names}. Record the parts as rework or reject, not pass."
        )
    return outcome


def suggested_outcome(dimensions: Sequence[Dimension]) -> Outcome:
    """What the measurements alone say: pass when all are in tolerance, rework otherwise."""
    return Outcome.PASS if not out_of_tolerance(dimensions) else Outcome.REWORK


def review_quality(*, outcome: Outcome, accepted: bool) -> Quality:
    """The step's inspection outcome once the record is reviewed: an accepted record counts
    as recorded; a rejected one means the reviewer found the parts bad, so rejected."""
    return OUTCOME_QUALITY[outcome] if accepted else Quality.REJECTED
