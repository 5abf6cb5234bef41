"""Weekly hours, exceptions and bookings turned into free intervals."""

from datetime import UTC, datetime, time

from marketplace.network.capacity import (
    WeeklySlot,
    expand_weekly,
    free_intervals,
    merge,
    subtract,
    total_hours,
)

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return MONDAY.replace(day=MONDAY.day + day, hour=hour)


def test_weekly_hours_expand_to_each_matching_day():
    slots = [WeeklySlot(weekday, time(8), time(16)) for weekday in range(5)]
    intervals = expand_weekly(slots, MONDAY, at(7, 0), zone="UTC")
    assert len(intervals) == 5
    assert intervals[0] == (at(0, 8), at(0, 16))
    assert total_hours(intervals) == 40


def test_expansion_is_clipped_to_the_window():
    slots = [WeeklySlot(0, time(8), time(16))]
    assert expand_weekly(slots, at(0, 10), at(0, 12), zone="UTC") == [(at(0, 10), at(0, 12))]


def test_exceptions_and_bookings_are_subtracted():
    slots = [WeeklySlot(0, time(8), time(16))]
    free = free_intervals(
        slots, [(at(0, 9), at(0, 10))], [(at(0, 12), at(0, 14))], MONDAY, at(1, 0), zone="UTC"
    )
    assert free == [(at(0, 8), at(0, 9)), (at(0, 10), at(0, 12)), (at(0, 14), at(0, 16))]


def test_the_same_hours_in_berlin_are_an_hour_earlier_in_utc_in_winter():
    # 2026-11-23 is in winter time (CET, UTC+1).
    slots = [WeeklySlot(0, time(8), time(16))]
    assert expand_weekly(slots, MONDAY, at(1, 0), zone="Europe/Berlin") == [(at(0, 7), at(0, 15))]


def test_a_hole_covering_everything_leaves_nothing():
    assert subtract([(at(0, 8), at(0, 16))], [(at(0, 0), at(1, 0))]) == []


def test_touching_intervals_merge():
    assert merge([(at(0, 10), at(0, 12)), (at(0, 8), at(0, 10))]) == [(at(0, 8), at(0, 12))]
