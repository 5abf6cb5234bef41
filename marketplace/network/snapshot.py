"""Reads for the matcher: the network's rows as the pure planning core's dataclasses.

The snapshot turns database rows into ``matching.estimation.MachineSpec`` /
``matching.estimation.CarrierSpec`` / ``matching.planning.MaterialSpec`` in a fixed number of
queries, with every machine's free time already computed (weekly hours minus closures minus
bookings and open offers' holds, from the workshop's lead time on; weekly hours are read in
each workshop's own time zone), so that ``matching``
never touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet

from accounts.models import Membership
from marketplace.network.capacity import free_intervals
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Machine,
    Material,
    Workshop,
)
from marketplace.network.selectors import weekly_slots
from matching.estimation import CarrierSpec, MachineSpec
from matching.planning import MaterialSpec
from matching.snapshot import DEFAULT_HORIZON_DAYS, Snapshot, floor_minute, minute_windows
from matching.transport import MIN_LEG_MINUTES, RateBand

__all__ = [
    "carrier_specs",
    "material_specs",
    "members_by_organization",
    "network_snapshot",
    "offline_machine_specs",
    "shortest_leg_minutes",
]


def material_specs() -> dict[str, MaterialSpec]:
    """Every catalog material with the process codes the catalog lists for it (2 queries)."""
    return {
        m.code: MaterialSpec(
            code=m.code,
            name=m.name,
            family=m.family,
            density_g_cm3=float(m.density_g_cm3),
            price_per_kg_minor=m.price_per_kg_minor,
            processes=tuple(sorted(p.code for p in m.processes.all())),
        )
        for m in Material.objects.prefetch_related("processes")
    }


def members_by_organization(
    organization_ids: Iterable[int] | None = None,
) -> dict[int, frozenset[str]]:
    """Each organization's member user ids as strings, in one query: whom a runner-up price
    must not share with the party it is the runner-up to (``matching.estimation.independent``).

    Without ids: every workshop's and carrier's organization (the whole network at once).
    """
    if organization_ids is None:
        rows = Membership.objects.filter(
            Q(organization__workshop__isnull=False) | Q(organization__carrier__isnull=False)
        )
    else:
        rows = Membership.objects.filter(organization_id__in=set(organization_ids))
    members: dict[int, set[str]] = {}
    for organization_id, user_id in rows.values_list("organization_id", "user_id"):
        members.setdefault(organization_id, set()).add(str(user_id))
    return {k: frozenset(v) for k, v in members.items()}


def carrier_specs(
    *,
    currency: str = "EUR",
    members: Mapping[int, frozenset[str]] | None = None,
    urgent: bool = False,
) -> tuple[tuple[CarrierSpec, ...], dict[str, str]]:
    """Every carrier pricing in ``currency`` (no country filter: see docs/matching-adapter.md).

    Carriers are registered by operators (there is no self-service sign-up for them), so
    every carrier counts as verified for runner-up prices. ``urgent`` (a re-plan after a
    breakdown): a carrier with a direct courier (``urgent_leg_hours``) moves parts in that
    time at least instead of a day, at its usual speed and tariff.
    """
    rows = list(
        Carrier.objects.select_related("organization")
        .prefetch_related("rates")
        .filter(currency=currency)
    )
    if members is None:
        members = members_by_organization(c.organization_id for c in rows)
    carriers = tuple(
        CarrierSpec(
            id=str(c.pk),
            base_fee_minor=c.base_fee_minor,
            per_100km_minor=c.per_100km_minor,
            speed_km_per_day=float(c.speed_km_per_day),
            co2_g_per_km=float(c.co2_g_per_km),
            name=c.organization.name,
            organization=str(c.organization_id),
            members=members.get(c.organization_id, frozenset()),
            verified=True,
            rates=tuple(
                RateBand(float(r.upto_km), r.parcel_minor, r.pallet_minor) for r in c.rates.all()
            ),
            parcel_max_kg=float(c.parcel_max_kg),
            parcel_max_cm=float(c.parcel_max_cm),
            pallet_max_kg=float(c.pallet_max_kg),
            min_leg_minutes=shortest_leg_minutes(c, urgent=urgent),
        )
        for c in rows
    )
    return carriers, {c.id: c.name for c in carriers}


def shortest_leg_minutes(carrier: Carrier, *, urgent: bool = False) -> int:
    """A carrier's shortest leg: a day, or its direct courier's hours for urgent work."""
    if urgent and carrier.urgent_leg_hours is not None:
        return min(carrier.urgent_leg_hours * 60, MIN_LEG_MINUTES)
    return MIN_LEG_MINUTES


def _machine_spec(
    m: Machine,
    *,
    materials: frozenset[str],
    windows: tuple[tuple[int, int], ...],
    rate_unit: str = "",
    members: frozenset[str] = frozenset(),
) -> MachineSpec:
    """A machine row (with its process and workshop's organization loaded) as the core's spec."""
    workshop = m.workshop
    return MachineSpec(
        id=str(m.pk),
        workshop=str(workshop.pk),
        process=m.process.code,
        materials=materials,
        envelope_mm=(float(m.envelope_x_mm), float(m.envelope_y_mm), float(m.envelope_z_mm)),
        tolerance_mm=float(m.tolerance_mm),
        hourly_rate_minor=m.hourly_rate_minor,
        setup_cost_minor=m.setup_cost_minor,
        setup_minutes=m.setup_minutes,
        throughput=float(m.throughput),
        currency=m.currency,
        lat=float(workshop.latitude),
        lon=float(workshop.longitude),
        windows=windows,
        booked=(),
        rate_unit=rate_unit,
        name=m.name,
        workshop_name=workshop.organization.name,
        organization=str(workshop.organization_id),
        members=members,
        verified=workshop.is_verified,
        country=workshop.country,
        certifications=frozenset(c.code for c in workshop.certifications.all()),
    )


def offline_machine_specs(machine_ids: Iterable[int]) -> dict[str, MachineSpec]:
    """Machines of a plan that the snapshot leaves out (down, unverified): no windows.

    Keyed by engine id (the primary key as a string), as ``matching.replanning`` wants them.
    """
    rows = (
        Machine.objects.select_related("process", "workshop__organization")
        .prefetch_related("workshop__certifications")
        .filter(pk__in=list(machine_ids))
    )
    return {str(m.pk): _machine_spec(m, materials=frozenset(), windows=()) for m in rows}


def _offered_machines(origin: datetime, end: datetime, now: datetime) -> QuerySet[Machine]:
    """AVAILABLE machines of VERIFIED, well enough rated workshops, with what overlaps: their
    closures, confirmed bookings and the holds of offers still open at ``now``."""
    overlapping = {"starts_at__lt": end, "ends_at__gt": origin}
    return (
        Machine.objects.filter(
            status=Machine.Status.AVAILABLE,
            workshop__verification_status=Workshop.Verification.VERIFIED,
        )
        # Reviews and inspected steps both judge the work: a workshop with few reviews but
        # many rejected steps is as well known as one with many reviews.
        .alias(judged=F("workshop__review_count") + F("workshop__inspection_count"))
        .exclude(
            judged__gte=settings.MATCHING_MIN_REVIEWS,
            workshop__rating__lt=settings.MATCHING_MIN_RATING,
        )
        .select_related("process", "workshop__organization")
        .prefetch_related(
            "materials",
            "weekly_hours",
            "workshop__certifications",
            Prefetch(
                "exceptions",
                queryset=CapacityException.objects.filter(**overlapping),
                to_attr="closures_in_horizon",
            ),
            Prefetch(
                "bookings",
                queryset=CapacityBooking.all_objects.live(now).filter(**overlapping),
                to_attr="bookings_in_horizon",
            ),
        )
        .order_by("pk")
    )


def lead_time_hours(workshop: Workshop, *, urgent: bool = False) -> int:
    """Hours from an offer to the earliest start: the workshop's urgent lead time for work
    taken over after a breakdown, where it takes urgent work, else its usual one."""
    if urgent and workshop.urgent_lead_time_hours is not None:
        return min(workshop.urgent_lead_time_hours, workshop.min_lead_time_hours)
    return workshop.min_lead_time_hours


def _free_windows(
    m: Machine, *, origin: datetime, now: datetime, end: datetime, urgent: bool = False
) -> tuple[tuple[int, int], ...]:
    """Weekly hours (local to the workshop) minus closures minus bookings, from ``now`` plus
    the lead time on."""
    start = max(origin, now + timedelta(hours=lead_time_hours(m.workshop, urgent=urgent)))
    if start >= end:
        return ()
    free = free_intervals(
        weekly_slots(m),
        [(c.starts_at, c.ends_at) for c in m.closures_in_horizon],
        [(b.starts_at, b.ends_at) for b in m.bookings_in_horizon],
        start,
        end,
        zone=m.workshop.timezone,
    )
    return minute_windows(free, origin)


def network_snapshot(
    *,
    origin: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    currency: str = "EUR",
    now: datetime | None = None,
    urgent: bool = False,
) -> Snapshot:
    """The network from ``origin`` for ``horizon_days``, in 10 queries whatever its size.

    A machine's windows are its weekly hours minus closures minus existing bookings and the
    holds of open offers (so no two orders are offered the same time), each
    starting no earlier than ``now`` (default ``origin``) plus its workshop's
    ``min_lead_time_hours`` (its ``urgent_lead_time_hours`` when ``urgent``: the re-plan
    after a breakdown; carriers then send a direct courier where they run one). Only
    AVAILABLE machines of VERIFIED workshops are read, and not those of workshops whose
    customers' reviews fell below the quality bar (``MATCHING_MIN_RATING`` once
    ``MATCHING_MIN_REVIEWS`` reviews and inspected steps are in).
    """
    origin = floor_minute(origin)
    now = now or origin
    end = origin + timedelta(days=horizon_days)
    specs: list[MachineSpec] = []
    workshop_names: dict[str, str] = {}
    machines = list(_offered_machines(origin, end, now))
    members = members_by_organization()
    for m in machines:
        workshop_names[str(m.workshop.pk)] = m.workshop.organization.name
        specs.append(
            _machine_spec(
                m,
                materials=frozenset(x.code for x in m.materials.all()),
                windows=_free_windows(m, origin=origin, now=now, end=end, urgent=urgent),
                rate_unit=m.process.rate_unit,
                members=members.get(m.workshop.organization_id, frozenset()),
            )
        )
    carriers, carrier_names = carrier_specs(currency=currency, members=members, urgent=urgent)
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
