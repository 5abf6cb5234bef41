"""Reads for the matcher: the network as the pure planning core sees it.

The snapshot turns database rows into ``matching.estimation.MachineSpec`` /
``matching.estimation.Carrier`` / ``matching.planning.Material`` in a fixed number of
queries, with every machine's free time already computed (weekly hours minus closures minus
bookings, from the workshop's lead time on), so the core never touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch

from marketplace.network.capacity import WeeklySlot, free_intervals
from marketplace.network.models import CapacityBooking, CapacityException, Machine, Workshop
from marketplace.network.models import Carrier as CarrierRow
from marketplace.network.models import Material as MaterialRow
from matching.estimation import Carrier, MachineSpec
from matching.planning import Material

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
    carriers: tuple[Carrier, ...]
    materials: Mapping[str, Material]
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


def _windows(
    intervals: list[tuple[datetime, datetime]], origin: datetime
) -> tuple[tuple[int, int], ...]:
    """Intervals as whole minutes from ``origin``, shrunk inwards (never into closed time)."""
    out = []
    for lo, hi in intervals:
        a = math.ceil((lo - origin).total_seconds() / 60)
        b = math.floor((hi - origin).total_seconds() / 60)
        if b > a:
            out.append((a, b))
    return tuple(out)


def material_specs() -> dict[str, Material]:
    """Every catalog material with the process codes the catalog lists for it (2 queries)."""
    return {
        m.code: Material(
            code=m.code,
            name=m.name,
            family=m.family,
            density_g_cm3=float(m.density_g_cm3),
            price_per_kg_minor=m.price_per_kg_minor,
            processes=tuple(sorted(p.code for p in m.processes.all())),
        )
        for m in MaterialRow.objects.prefetch_related("processes")
    }


def carrier_specs(*, currency: str = "EUR") -> tuple[tuple[Carrier, ...], dict[str, str]]:
    """Every carrier pricing in ``currency`` (no country filter: see docs/matching-adapter.md)."""
    rows = CarrierRow.objects.select_related("organization").filter(currency=currency)
    carriers = tuple(
        Carrier(
            id=str(c.pk),
            base_fee_minor=c.base_fee_minor,
            per_100km_minor=c.per_100km_minor,
            speed_km_per_day=float(c.speed_km_per_day),
            co2_g_per_km=float(c.co2_g_per_km),
            name=c.organization.name,
        )
        for c in rows
    )
    return carriers, {c.id: c.name for c in carriers}


def network_snapshot(
    *,
    origin: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    currency: str = "EUR",
    now: datetime | None = None,
) -> Snapshot:
    """The network from ``origin`` for ``horizon_days``, in 8 queries whatever its size.

    A machine's windows are its weekly hours minus closures minus existing bookings, each
    starting no earlier than ``now`` (default ``origin``) plus its workshop's
    ``min_lead_time_hours``. Only AVAILABLE machines of VERIFIED workshops are read, and not
    those of workshops whose customers' reviews fell below the quality bar
    (``MATCHING_MIN_RATING`` once ``MATCHING_MIN_REVIEWS`` reviews are in).
    """
    origin = floor_minute(origin)
    now = now or origin
    end = origin + timedelta(days=horizon_days)
    overlapping = {"starts_at__lt": end, "ends_at__gt": origin}
    machines = (
        Machine.objects.filter(
            status=Machine.Status.AVAILABLE,
            workshop__verification_status=Workshop.Verification.VERIFIED,
        )
        .exclude(
            workshop__review_count__gte=settings.MATCHING_MIN_REVIEWS,
            workshop__rating__lt=settings.MATCHING_MIN_RATING,
        )
        .select_related("process", "workshop__organization")
        .prefetch_related(
            "materials",
            "weekly_hours",
            Prefetch(
                "exceptions",
                queryset=CapacityException.objects.filter(**overlapping),
                to_attr="closures_in_horizon",
            ),
            Prefetch(
                "bookings",
                queryset=CapacityBooking.objects.filter(**overlapping),
                to_attr="bookings_in_horizon",
            ),
        )
        .order_by("pk")
    )
    specs: list[MachineSpec] = []
    workshop_names: dict[str, str] = {}
    for m in machines:
        workshop = m.workshop
        start = max(origin, now + timedelta(hours=workshop.min_lead_time_hours))
        free = (
            free_intervals(
                [WeeklySlot(w.weekday, w.start_time, w.end_time) for w in m.weekly_hours.all()],
                [(c.starts_at, c.ends_at) for c in m.closures_in_horizon],
                [(b.starts_at, b.ends_at) for b in m.bookings_in_horizon],
                start,
                end,
            )
            if start < end
            else []
        )
        workshop_names[str(workshop.pk)] = workshop.organization.name
        specs.append(
            MachineSpec(
                id=str(m.pk),
                workshop=str(workshop.pk),
                process=m.process.code,
                materials=frozenset(x.code for x in m.materials.all()),
                envelope_mm=(
                    float(m.envelope_x_mm),
                    float(m.envelope_y_mm),
                    float(m.envelope_z_mm),
                ),
                tolerance_mm=float(m.tolerance_mm),
                hourly_rate_minor=m.hourly_rate_minor,
                setup_cost_minor=m.setup_cost_minor,
                setup_minutes=m.setup_minutes,
                throughput=float(m.throughput),
                currency=m.currency,
                lat=float(workshop.latitude),
                lon=float(workshop.longitude),
                windows=_windows(free, origin),
                booked=(),
                rate_unit=m.process.rate_unit,
                name=m.name,
                workshop_name=workshop.organization.name,
            )
        )
    carriers, carrier_names = carrier_specs(currency=currency)
    return Snapshot(
        origin=origin,
        horizon_days=horizon_days,
        currency=currency,
        machines=tuple(specs),
        carriers=carriers,
        materials=material_specs(),
        workshop_names=workshop_names,
        carrier_names=carrier_names,
    )
