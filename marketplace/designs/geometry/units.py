"""Length units: converting to millimetres, and guessing when the chosen unit looks wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import errors
from .errors import DesignFileError

# Millimetres per unit. Keys are the canonical names used across the API.
MM_PER_UNIT: dict[str, float] = {
    "micron": 0.001,
    "mm": 1.0,
    "cm": 10.0,
    "m": 1000.0,
    "inch": 25.4,
    "foot": 304.8,
}

_ALIASES: dict[str, str] = {
    "um": "micron",
    "µm": "micron",
    "micrometer": "micron",
    "micrometre": "micron",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "in": "inch",
    "inches": "inch",
    '"': "inch",
    "ft": "foot",
    "feet": "foot",
}

# Units a customer may pick at upload (3MF and STEP carry their own).
UPLOAD_UNITS: tuple[str, ...] = ("mm", "inch", "m", "cm")

# A part whose largest side falls outside this range, in mm, is probably in another unit.
PLAUSIBLE_MIN_MM = 6.0  # mm; a 5 x 2.5 x 1.4 "mm" part is far more often a 5-inch part
PLAUSIBLE_MAX_MM = 3000.0  # mm; larger than any machine on a marketplace like this one
TYPICAL_MM = 100.0  # mm; the size that reinterpretations are ranked against


def normalize_unit(unit: str) -> str:
    """Return the canonical unit name, or raise for a unit we cannot convert."""
    key = unit.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in MM_PER_UNIT:
        known = ", ".join(UPLOAD_UNITS)
        raise DesignFileError(
            errors.UNKNOWN_UNIT, f"The unit {unit!r} is not one we know. Choose one of: {known}."
        )
    return key


def mm_per(unit: str) -> float:
    return MM_PER_UNIT[normalize_unit(unit)]


@dataclass(frozen=True)
class UnitSuggestion:
    """A likelier unit for a part whose size looks implausible in the unit used."""

    unit: str
    largest_side_mm: float  # what the largest side would measure in that unit
    message: str


def suggest_unit(extents_mm: tuple[float, float, float], unit: str) -> UnitSuggestion | None:
    """Suggest another unit when the largest side is outside the plausible range.

    Each candidate unit reinterprets the same numbers in the file; among the candidates that
    land in the plausible range, the one closest (in ratio) to a typical part wins.
    """
    unit = normalize_unit(unit)
    largest = max(extents_mm)
    if not math.isfinite(largest) or largest <= 0:
        return None
    if PLAUSIBLE_MIN_MM <= largest <= PLAUSIBLE_MAX_MM:
        return None
    raw = largest / MM_PER_UNIT[unit]  # the number written in the file
    best: tuple[float, str, float] | None = None
    for candidate in ("mm", "inch", "m"):
        if candidate == unit:
            continue
        size = raw * MM_PER_UNIT[candidate]
        if PLAUSIBLE_MIN_MM <= size <= PLAUSIBLE_MAX_MM:
            score = abs(math.log(size / TYPICAL_MM))
            if best is None or score < best[0]:
                best = (score, candidate, size)
    dims = " x ".join(_fmt(x) for x in extents_mm)
    if best is None:
        return None
    _, candidate, size = best
    names = {"mm": "millimetres", "inch": "inches", "m": "metres", "cm": "centimetres"}
    return UnitSuggestion(
        unit=candidate,
        largest_side_mm=size,
        message=(
            f"Read in {names.get(unit, unit)}, the part measures {dims} mm, which is unusually "
            f"{'small' if largest < PLAUSIBLE_MIN_MM else 'large'}. If it was drawn in "
            f"{names[candidate]} it is {_fmt(size)} mm across; upload it again choosing "
            f"{names[candidate]} if so."
        ),
    )


def _fmt(x: float) -> str:
    """Round for people: 3 significant figures, no scientific notation for usual sizes."""
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"
    return f"{x:.2g}"
