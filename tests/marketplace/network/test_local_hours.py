"""Weekly hours read in the workshop's zone, across daylight-saving changes."""

from datetime import UTC, datetime, time

import pytest

from marketplace.network.capacity import WeeklySlot
from marketplace.network.local_hours import (
    expand_weekly_local,
    is_time_zone,
    not_before,
    zone_for_country,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(intervals) -> float:
    return sum((hi - lo).total_seconds() for lo, hi in intervals) / 3600


def test_eight_in_berlin_is_seven_utc_in_winter_and_six_in_summer():
    slots = [WeeklySlot(d, time(8), time(16)) for d in range(7)]
    winter = expand_weekly_local(slots, utc(2027, 1, 4), utc(2027, 1, 5), "Europe/Berlin")
    summer = expand_weekly_local(slots, utc(2027, 7, 5), utc(2027, 7, 6), "Europe/Berlin")
    assert winter == [(utc(2027, 1, 4, 7), utc(2027, 1, 4, 15))]
    assert summer == [(utc(2027, 7, 5, 6), utc(2027, 7, 5, 14))]


def test_the_night_of_the_spring_change_is_an_hour_shorter():
    # 2027-03-28 is a Sunday: 02:00 CET jumps to 03:00 CEST.
    slots = [WeeklySlot(6, time(0), time(4))]
    night = expand_weekly_local(slots, utc(2027, 3, 27), utc(2027, 3, 29), "Europe/Berlin")
    assert night == [(utc(2027, 3, 27, 23), utc(2027, 3, 28, 2))]
    assert hours(night) == 3


def test_an_opening_in_the_skipped_hour_starts_after_the_gap():
    slots = [WeeklySlot(6, time(2, 30), time(5))]
    (opening,) = expand_weekly_local(slots, utc(2027, 3, 27), utc(2027, 3, 29), "Europe/Berlin")
    assert opening == (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 3))


def test_the_night_of_the_autumn_change_is_an_hour_longer_and_keeps_the_repeated_hour():
    # 2027-10-31 is a Sunday: 03:00 CEST falls back to 02:00 CET.
    night = expand_weekly_local(
        [WeeklySlot(6, time(0), time(4))], utc(2027, 10, 30), utc(2027, 11, 1), "Europe/Berlin"
    )
    assert hours(night) == 5
    until_repeated = expand_weekly_local(
        [WeeklySlot(6, time(1), time(2, 30))], utc(2027, 10, 30), utc(2027, 11, 1), "Europe/Berlin"
    )
    assert until_repeated == [(utc(2027, 10, 30, 23), utc(2027, 10, 31, 1, 30))]


def test_the_weekday_is_the_local_one_and_openings_are_clipped_to_the_window():
    # Monday 00:00-02:00 in Tokyo is Sunday 15:00-17:00 UTC.
    slots = [WeeklySlot(0, time(0), time(2))]
    got = expand_weekly_local(slots, utc(2027, 1, 3, 16), utc(2027, 1, 4), "Asia/Tokyo")
    assert got == [(utc(2027, 1, 3, 16), utc(2027, 1, 3, 17))]


def test_utc_reads_the_hours_as_they_are():
    slots = [WeeklySlot(0, time(8), time(12))]
    assert expand_weekly_local(slots, utc(2027, 1, 4), utc(2027, 1, 5), "UTC") == [
        (utc(2027, 1, 4, 8), utc(2027, 1, 4, 12))
    ]


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Berlin", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        ("../etc/passwd", False),
        (" Europe/Berlin", False),
    ],
)
def test_only_iana_zones_are_time_zones(name, known):
    assert is_time_zone(name) is known


def test_a_country_gives_its_zone_and_an_unknown_one_berlins():
    assert (zone_for_country("nl"), zone_for_country("XX")) == ("Europe/Amsterdam", "Europe/Berlin")


def test_past_hours_are_cut_off():
    now = utc(2027, 1, 4, 10)
    intervals = [
        (utc(2027, 1, 4, 6), utc(2027, 1, 4, 8)),
        (utc(2027, 1, 4, 9), utc(2027, 1, 4, 12)),
    ]
    assert not_before(intervals, now) == [(now, utc(2027, 1, 4, 12))]
