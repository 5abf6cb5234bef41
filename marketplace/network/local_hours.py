"""Weekly opening hours read in a workshop's own time zone, turned into UTC intervals.

A workshop in Munich that opens at 08:00 opens at 07:00 UTC in winter and 06:00 UTC in
summer; storing the hours as UTC times moved every opening by an hour twice a year. Pure
functions over plain values (no Django, no queries): ``capacity.py`` builds on them, and this
module imports nothing of the network, so no cycle can form.

Daylight-saving edges follow PEP 495, stated once here:

- a local time that does not exist (the hour skipped in spring) is read with the offset
  before the change, so it lands just after the gap (02:30 on the spring day is 03:30 local);
- a local time that happens twice (the hour repeated in autumn) is the first occurrence for
  an opening and the second for a closing, so an opening covers the whole repeated hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIME_ZONE = "Europe/Berlin"

# The zone of each country the network serves (ISO 3166-1 alpha-2); a country with several
# zones gets its most populous one, which the workshop can change on its profile.
COUNTRY_TIME_ZONES: dict[str, str] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LU": "Europe/Luxembourg",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
    "US": "America/New_York",
}

Interval = tuple[datetime, datetime]


class Slot(Protocol):
    """A weekly opening (``capacity.WeeklySlot`` or a model row's values)."""

    @property
    def weekday(self) -> int: ...  # 0 = Monday, in local time

    @property
    def start(self) -> time: ...

    @property
    def end(self) -> time: ...


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows ("UTC" included)."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    if name not in available_timezones() and name != "UTC":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_for_country(country: str) -> str:
    """The default zone of a workshop in ``country``; Berlin's when the country is unknown."""
    return COUNTRY_TIME_ZONES.get((country or "").strip().upper(), DEFAULT_TIME_ZONE)


def _nonexistent(moment: datetime) -> bool:
    return moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) != moment.replace(
        tzinfo=None
    )


def _ambiguous(moment: datetime) -> bool:
    return not _nonexistent(moment) and (
        moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()
    )


def local_instant(day: date, clock: time, zone: ZoneInfo, *, closing: bool = False) -> datetime:
    """The UTC instant of a wall-clock time on a local day (see the module's DST rules)."""
    moment = datetime.combine(day, clock, tzinfo=zone)
    if closing and _ambiguous(moment):
        moment = moment.replace(fold=1)
    return moment.astimezone(UTC)


def expand_weekly_local(
    slots: Iterable[Slot], start: datetime, end: datetime, zone: str
) -> list[Interval]:
    """Every opening of the weekly schedule, read in ``zone``, that overlaps [start, end),
    clipped to it, as merged UTC intervals in time order."""
    tz = ZoneInfo(zone)
    slots = list(slots)
    intervals: list[Interval] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            opening = local_instant(day, slot.start, tz)
            closing = local_instant(day, slot.end, tz, closing=True)
            lo, hi = max(opening, start), min(closing, end)
            if lo < hi:
                intervals.append((lo, hi))
        day += timedelta(days=1)
    return merge(intervals)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Intervals in time order, touching or overlapping ones joined."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def not_before(intervals: Iterable[Interval], now: datetime) -> list[Interval]:
    """The parts of ``intervals`` from ``now`` on: past hours are never free."""
    return [(max(lo, now), hi) for lo, hi in intervals if hi > now]
