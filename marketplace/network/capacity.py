"""Turning weekly opening hours and exceptions into concrete free intervals.

Pure functions over plain values (no queries), so the matcher adapter, the calendar page and
the tests share one definition of "free".
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from marketplace.network.local_hours import Interval, expand_weekly_local, merge


@dataclass(frozen=True)
class WeeklySlot:
    """A weekly opening in the workshop's local time."""

    weekday: int  # 0 = Monday, local
    start: time
    end: time


def expand_weekly(
    slots: Iterable[WeeklySlot], start: datetime, end: datetime, *, zone: str
) -> list[Interval]:
    """Every opening of the weekly schedule that overlaps [start, end), clipped to it.

    The hours are wall-clock times of the workshop, so ``zone`` (its IANA time zone) is
    required: reading them as UTC moved every opening by an hour or two and again at each
    daylight-saving change. Quoting, re-planning, booking and the calendar all come here.
    """
    return expand_weekly_local(slots, start, end, zone)


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by any hole."""
    result = list(merge(intervals))
    for hole_lo, hole_hi in merge(holes):
        remaining: list[Interval] = []
        for lo, hi in result:
            if hi <= hole_lo or lo >= hole_hi:
                remaining.append((lo, hi))
                continue
            if lo < hole_lo:
                remaining.append((lo, hole_lo))
            if hi > hole_hi:
                remaining.append((hole_hi, hi))
        result = remaining
    return result


def free_intervals(
    slots: Iterable[WeeklySlot],
    closures: Iterable[Interval],
    bookings: Iterable[Interval],
    start: datetime,
    end: datetime,
    *,
    zone: str,
) -> list[Interval]:
    """Opening hours (local to ``zone``) in [start, end) minus exceptions (holidays,
    maintenance) and bookings."""
    return subtract(expand_weekly(slots, start, end, zone=zone), [*closures, *bookings])


def total_hours(intervals: Iterable[Interval]) -> float:
    return sum((hi - lo).total_seconds() for lo, hi in intervals) / 3600
