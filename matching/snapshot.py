"""The network as the pure planning core sees it, at one moment (``Snapshot``).

The marketplace reads its rows into a ``Snapshot`` (``marketplace.network.snapshot``); every
quote and re-plan of the matcher is built on one, so the matcher never reads a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from matching.estimation import CarrierSpec, MachineSpec
from matching.planning import MaterialSpec

DEFAULT_HORIZON_DAYS = 28  # days of capacity read ahead


@dataclass(frozen=True)
class Snapshot:
    """The network at ``origin``: minute 0 of every window, quote and plan built on it.

    ``machines`` are the AVAILABLE machines of VERIFIED workshops, with ``windows`` in
    minutes from ``origin`` and ``booked=()`` (bookings are already cut out of the windows).
    Machine, workshop and carrier ids are the primary keys as strings (the engine's ids).
    """

    origin: datetime
    horizon_days: int
    currency: str
    machines: tuple[MachineSpec, ...]
    carriers: tuple[CarrierSpec, ...]
    materials: Mapping[str, MaterialSpec]
    workshop_names: Mapping[str, str] = field(default_factory=dict)
    carrier_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.origin + timedelta(days=self.horizon_days)

    def minute(self, moment: datetime) -> int:
        """Whole minutes from ``origin`` (floored)."""
        return math.floor((moment - self.origin).total_seconds() / 60)

    def at(self, minute: int) -> datetime:
        """The datetime of a minute of this snapshot."""
        return self.origin + timedelta(minutes=minute)

    def machine(self, machine_id: str) -> MachineSpec | None:
        cache = self.__dict__.get("_by_id")
        if cache is None:
            cache = {m.id: m for m in self.machines}
            object.__setattr__(self, "_by_id", cache)
        return cache.get(machine_id)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def minute_windows(
    intervals: Sequence[tuple[datetime, datetime]], origin: datetime
) -> tuple[tuple[int, int], ...]:
    """Intervals as whole minutes from ``origin``, shrunk inwards (never into closed time)."""
    out = []
    for lo, hi in intervals:
        a = math.ceil((lo - origin).total_seconds() / 60)
        b = math.floor((hi - origin).total_seconds() / 60)
        if b > a:
            out.append((a, b))
    return tuple(out)
