"""Turning weekly opening hours and exceptions into concrete free intervals.

Pure functions over plain values (no queries), so the matcher adapter, the calendar page and
the tests share one definition of "free".
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # 0 = Monday
    start: time
    end: time


Interval = tuple[datetime, datetime]


def expand_weekly(slots: Iterable[WeeklySlot], start: datetime, end: datetime) -> list[Interval]:
    """Every opening of the weekly schedule that overlaps [start, end), clipped to it."""
    slots = list(slots)
    intervals: list[Interval] = []
    day: date = start.astimezone(UTC).date()
    while datetime.combine(day, time.min, tzinfo=UTC) < end:
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            opening = datetime.combine(day, slot.start, tzinfo=UTC)
            closing = datetime.combine(day, slot.end, tzinfo=UTC)
            lo, hi = max(opening, start), min(closing, end)
            if lo < hi:
                intervals.append((lo, hi))
        day += timedelta(days=1)
    return merge(intervals)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


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
) -> list[Interval]:
    """Opening hours in [start, end) minus exceptions (holidays, maintenance) and bookings."""
    return subtract(expand_weekly(slots, start, end), [*closures, *bookings])


def total_hours(intervals: Iterable[Interval]) -> float:
    return sum((hi - lo).total_seconds() for lo, hi in intervals) / 3600
