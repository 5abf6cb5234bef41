"""Weekly hours read in the workshop's zone, across daylight-saving changes."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Randomized: whatever the zone, the hours and the window, the expansion keeps the clock.

ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "Asia/Kolkata",  # +05:30, no daylight saving
    "Pacific/Chatham",  # +12:45 / +13:45
    "UTC",
]
# Days around the 2027 changes of these zones, so that many cases cross one.
CHANGE_DAYS = [(3, 14), (3, 28), (4, 4), (9, 5), (10, 3), (10, 31), (11, 7)]
STEP = timedelta(minutes=15)


def quarter(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def weekly_slots(draw) -> list[WeeklySlot]:
    slots = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, 95))
        end = draw(st.integers(start + 1, 96))
        closing = time.max if end == 96 else quarter(end * 15)
        slots.append(WeeklySlot(draw(st.integers(0, 6)), quarter(start * 15), closing))
    return slots


@st.composite
def windows(draw) -> tuple[datetime, datetime]:
    if draw(st.booleans()):
        month, day = draw(st.sampled_from(CHANGE_DAYS))
        start = utc(2027, month, day) - timedelta(hours=draw(st.integers(0, 72)))
    else:
        start = utc(2026, 1, 1) + STEP * draw(st.integers(0, 3 * 365 * 96))
    return start, start + STEP * draw(st.integers(1, 4 * 96))


def near_a_change(moment: datetime, zone: ZoneInfo) -> bool:
    """Within two hours of a daylight-saving change, where the module's DST rules apply."""
    offsets = {(moment + timedelta(hours=h)).astimezone(zone).utcoffset() for h in (-2, 0, 2)}
    return len(offsets) > 1


def open_by_the_clock(moment: datetime, slots: list[WeeklySlot], zone: ZoneInfo) -> bool:
    """The plain reading: the wall clock at ``moment`` shows a time inside an opening of
    that local weekday."""
    local = moment.astimezone(zone)
    clock = local.time().replace(tzinfo=None, fold=0)
    return any(s.weekday == local.weekday() and s.start <= clock < s.end for s in slots)


@settings(max_examples=300, deadline=None)
@given(slots=weekly_slots(), window=windows(), zone_name=st.sampled_from(ZONES))
def test_expanded_hours_lie_inside_the_local_opening_hours_and_never_overlap(
    slots, window, zone_name
):
    start, end = window
    zone = ZoneInfo(zone_name)
    got = expand_weekly_local(slots, start, end, zone_name)
    for lo, hi in got:
        assert start <= lo < hi <= end
        assert lo.utcoffset() == timedelta(0)
    for (_, hi), (lo, _) in itertools.pairwise(got):
        assert hi < lo  # in time order, apart (touching openings are one)
    # Every quarter of an hour in the window, sampled in its middle, is open exactly when the
    # wall clock says so; near a change the module's DST rules decide instead.
    moment = start + STEP / 2
    while moment < end:
        inside = any(lo <= moment < hi for lo, hi in got)
        if not near_a_change(moment, zone):
            assert inside == open_by_the_clock(moment, slots, zone), moment
        moment += STEP
