"""A small network built in memory as a ``Snapshot``, for the pure quote and re-plan tests.

The same network as the database tests' (tests/marketplace/orders/test_matcher.py): Mill Works
(Stuttgart) mills, deburrs and assembles; only Anodica (Nuremberg) anodizes; Eindhoven Fab
(``with_eindhoven``) mills, deburrs and anodizes too, dearer. Machines work 06:00-22:00 every
day; the first two workshops have a 24 h lead time, Eindhoven none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from matching.estimation import CarrierSpec, MachineSpec
from matching.planning import MaterialSpec
from matching.snapshot import Snapshot, minute_windows

NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)  # a Monday, 06:00 UTC
H = 60  # minutes
DAY = 24 * H
MUNICH = (48.1351, 11.5820)
STUTTGART, NUREMBERG, EINDHOVEN = "10", "20", "30"
WORKSHOPS = {
    STUTTGART: ("Mill Works", 48.7758, 9.1829),
    NUREMBERG: ("Anodica", 49.4521, 11.0767),
    EINDHOVEN: ("Eindhoven Fab", 51.4416, 5.4697),
}
CARRIER = CarrierSpec("7", 1500, 80, 600.0, 250.0, name="Rhein Cargo")
MATERIALS = {
    "al-6061": MaterialSpec("al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 900, ("cnc-3axis",)),
    "ss-304": MaterialSpec("ss-304", "Stainless steel 304", "stainless", 2.7, 900, ("cnc-3axis",)),
}


LEAD_HOURS = {STUTTGART: 24, NUREMBERG: 24, EINDHOVEN: 0}


def daily_windows(workshop: str, origin: datetime, days: int) -> tuple[tuple[int, int], ...]:
    """06:00-22:00 every day, from NOW plus the workshop's lead time until ``origin + days``,
    in minutes from ``origin`` (what marketplace.network.snapshot computes)."""
    start = NOW + timedelta(hours=LEAD_HOURS[workshop])
    end = origin + timedelta(days=days)
    first = origin.replace(hour=6, minute=0) - timedelta(days=1)
    intervals = [
        (max(start, day), min(end, day + timedelta(hours=16)))
        for day in (first + timedelta(days=d) for d in range(days + 2))
    ]
    return minute_windows([(a, b) for a, b in intervals if a < b], origin)


def spec(
    machine_id: str, workshop: str, process: str, name: str, rate_unit: str, **kw
) -> MachineSpec:
    """A machine with the database factories' defaults (MachineFactory)."""
    workshop_name, lat, lon = WORKSHOPS[workshop]
    fields = {
        "materials": frozenset(),
        "envelope_mm": (500.0, 400.0, 300.0),
        "tolerance_mm": 0.05,
        "hourly_rate_minor": 6000,
        "setup_cost_minor": 5000,
        "setup_minutes": 30,
        "throughput": 20.0,
        **kw,
    }
    return MachineSpec(
        id=machine_id,
        workshop=workshop,
        process=process,
        lat=lat,
        lon=lon,
        rate_unit=rate_unit,
        name=name,
        workshop_name=workshop_name,
        **fields,
    )


MILL = spec("1", STUTTGART, "cnc-3axis", "Haas VF-2", "cm3_per_min", materials=frozenset(MATERIALS))
DEBURR = spec("2", STUTTGART, "deburring", "Deburr bench", "parts_per_h", throughput=30.0)
ASSEMBLY = spec("3", STUTTGART, "assembly", "Assembly bench", "parts_per_h", throughput=12.0)
ANODIZE = spec(
    "4", NUREMBERG, "anodizing", "Anodizing line", "dm2_per_h", throughput=200.0, tolerance_mm=0.01
)
EINDHOVEN_MACHINES = (
    spec(
        "5",
        EINDHOVEN,
        "cnc-3axis",
        "DMG Mori",
        "cm3_per_min",
        materials=frozenset(MATERIALS),
        hourly_rate_minor=9000,
    ),
    spec("6", EINDHOVEN, "deburring", "Deburr", "parts_per_h", throughput=30.0),
    spec("7", EINDHOVEN, "anodizing", "Anodize", "dm2_per_h", throughput=200.0, tolerance_mm=0.01),
)


def snapshot_at(
    origin: datetime = NOW, days: int = 28, *, machines: Sequence[MachineSpec] = ()
) -> Snapshot:
    """The network from ``origin`` for ``days``: the base machines plus ``machines``."""
    specs = tuple(
        replace(m, windows=daily_windows(m.workshop, origin, days))
        for m in (MILL, DEBURR, ASSEMBLY, ANODIZE, *machines)
    )
    return Snapshot(
        origin=origin,
        horizon_days=days,
        currency="EUR",
        machines=specs,
        carriers=(CARRIER,),
        materials=MATERIALS,
        workshop_names={m.workshop: m.workshop_name for m in specs},
        carrier_names={CARRIER.id: CARRIER.name},
    )


@pytest.fixture
def network() -> Snapshot:
    return snapshot_at()


@pytest.fixture
def with_eindhoven() -> Snapshot:
    return snapshot_at(machines=EINDHOVEN_MACHINES)
