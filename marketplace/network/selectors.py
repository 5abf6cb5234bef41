"""Reads of the network: catalog, workshops, machines and their free capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import is_operator
from marketplace.errors import NotFound
from marketplace.network.capacity import (
    Interval,
    WeeklySlot,
    expand_weekly,
    free_intervals,
    subtract,
    total_hours,
)
from marketplace.network.geo import MapPoint, NetworkMap, network_map
from marketplace.network.local_hours import local_instant, not_before
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Machine,
    Process,
    WeeklyAvailability,
    Workshop,
)
from marketplace.network.rating import InspectionCounts


def workshop_for_organization(*, organization: Organization) -> Workshop | None:
    return Workshop.objects.filter(organization=organization).first()


def workshop_inspection_counts(*, workshop_id: int) -> InspectionCounts:
    """How the workshop's inspected steps came out: the one read both its rating and its
    profile use. Follows the orders' ``Job.workshop`` relation by name (values of
    ``Job.Inspection``), so the network imports nothing of orders."""
    jobs = Workshop.jobs.rel.related_model.objects
    counts = dict(
        jobs.filter(workshop_id=workshop_id)
        .exclude(inspection="")
        .order_by()
        .values_list("inspection")
        .annotate(n=Count("pk"))
    )
    return InspectionCounts(
        passed=counts.get("accepted", 0),
        reworked=counts.get("reworked", 0),
        rejected=counts.get("rejected", 0),
    )


def machines_of_workshop(*, workshop: Workshop, details: bool = True) -> QuerySet[Machine]:
    """The workshop's machines by name with their process; ``details``: their materials and
    weekly hours too (two queries more), which a list that only names them goes without."""
    machines = workshop.machines.select_related("process").order_by("name")
    return machines.prefetch_related("materials", "weekly_hours") if details else machines


def weekly_slots(machine: Machine) -> list[WeeklySlot]:
    """The machine's weekly hours (prefetch ``weekly_hours`` to read many machines at once)."""
    return [WeeklySlot(w.weekday, w.start_time, w.end_time) for w in machine.weekly_hours.all()]


def machine_opening(*, machine: Machine, start: datetime, end: datetime) -> list[Interval]:
    """The machine's opening hours in [start, end) as UTC intervals, read in its workshop's
    time zone: the one reading the calendar, the booking check and the snapshot share."""
    return expand_weekly(weekly_slots(machine), start, end, zone=machine.workshop.timezone)


def machine_free_hours(
    *, machines: list[Machine], start: datetime, end: datetime
) -> dict[int, float]:
    """Free hours of each machine in [start, end), never before now; two queries whatever the
    number of machines (the hours come with their workshop's time zone)."""
    ids = [m.pk for m in machines]
    start = max(start, timezone.now())
    slots: dict[int, list[WeeklySlot]] = {pk: [] for pk in ids}
    zones: dict[int, str] = {}
    for machine_id, weekday, opens, closes, zone in WeeklyAvailability.objects.filter(
        machine_id__in=ids
    ).values_list("machine_id", "weekday", "start_time", "end_time", "machine__workshop__timezone"):
        slots[machine_id].append(WeeklySlot(weekday, opens, closes))
        zones[machine_id] = zone
    closures: dict[int, list] = {pk: [] for pk in ids}
    for row in CapacityException.objects.filter(
        machine_id__in=ids, ends_at__gt=start, starts_at__lt=end
    ):
        closures[row.machine_id].append((row.starts_at, row.ends_at))
    return {
        pk: round(
            total_hours(
                free_intervals(slots[pk], closures[pk], [], start, end, zone=zones.get(pk, "UTC"))
            ),
            1,
        )
        for pk in ids
    }


def network_summary() -> dict:
    workshops = Workshop.objects.verified()
    return {
        "workshops": workshops.count(),
        "countries": workshops.values("country").distinct().count(),
        "machines": Machine.objects.filter(
            workshop__in=workshops, status=Machine.Status.AVAILABLE
        ).count(),
        "processes": Process.objects.filter(machines__workshop__in=workshops).distinct().count(),
        "carriers": Carrier.objects.count(),
    }


@dataclass(frozen=True)
class NetworkFilter:
    """What a customer or operator narrows the network by; empty fields do not filter."""

    process: str = ""
    material: str = ""
    country: str = ""
    certification: str = ""
    envelope_mm: tuple[int, int, int] | None = None  # the machine must hold at least this


def workshops_for_network(*, filters: NetworkFilter = NetworkFilter()) -> QuerySet[Workshop]:
    """Verified workshops with what they offer, for customers and operators browsing."""
    machines = Machine.objects.all()
    if filters.process:
        machines = machines.filter(process__code=filters.process)
    if filters.material:
        machines = machines.filter(materials__code=filters.material)
    if filters.envelope_mm:
        x, y, z = filters.envelope_mm
        machines = machines.filter(envelope_x_mm__gte=x, envelope_y_mm__gte=y, envelope_z_mm__gte=z)
    queryset = (
        Workshop.objects.verified()
        .select_related("organization")
        .annotate(machine_count=Count("machines", distinct=True))
        .order_by("organization__name")
        .prefetch_related(
            "certifications",
            Prefetch("machines", queryset=Machine.objects.select_related("process")),
        )
    )
    if filters.process or filters.material or filters.envelope_mm:
        queryset = queryset.filter(machines__in=machines).distinct()
    if filters.country:
        queryset = queryset.filter(country=filters.country.upper())
    if filters.certification:
        queryset = queryset.filter(certifications__code=filters.certification)
    return queryset


def workshop_utilisation(weeks: int = 4) -> list[dict]:
    """Booked share of open machine hours per verified workshop, for the coming weeks."""
    start, end = next_weeks(weeks)
    workshops = list(Workshop.objects.verified().select_related("organization"))
    by_pk = {w.pk: w for w in workshops}
    machines = list(Machine.objects.filter(workshop__in=workshops).prefetch_related("weekly_hours"))
    for machine in machines:
        machine.workshop = by_pk[machine.workshop_id]  # its time zone, without a query each
    bookings: dict[int, float] = {}
    for booking in CapacityBooking.objects.filter(
        machine__in=machines, starts_at__lt=end, ends_at__gt=start
    ):
        hours = (min(booking.ends_at, end) - max(booking.starts_at, start)).total_seconds() / 3600
        bookings[booking.machine_id] = bookings.get(booking.machine_id, 0) + hours
    rows = {w.pk: {"workshop": w, "open": 0.0, "booked": 0.0} for w in workshops}
    for machine in machines:
        opening = machine_opening(machine=machine, start=start, end=end)
        rows[machine.workshop_id]["open"] += total_hours(opening)
        rows[machine.workshop_id]["booked"] += bookings.get(machine.pk, 0)
    result = []
    for row in rows.values():
        share = row["booked"] / row["open"] if row["open"] else 0
        result.append({**row, "percent": round(100 * share, 1), "width": round(300 * share)})
    return sorted(result, key=lambda r: -r["percent"])[:15]


def next_weeks(weeks: int = 4) -> tuple[datetime, datetime]:
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(weeks=weeks)


def machine_get_for_member(*, machine_id: int, user) -> Machine:
    """A machine of one of the user's workshops (for editing), else NotFound."""
    machine = (
        Machine.objects.select_related("workshop__organization", "process")
        .filter(pk=machine_id, workshop__organization__memberships__user=user)
        .first()
    )
    if machine is None:
        raise NotFound("No such machine in your workshops.")
    return machine


def machines_visible_to(*, user) -> QuerySet[Machine]:
    """Machines of verified workshops, plus every machine of the user's own workshops."""
    own = Q(workshop__organization__memberships__user=user) if user.is_authenticated else Q()
    queryset = Machine.objects.select_related("workshop__organization", "process").prefetch_related(
        "materials"
    )
    if is_operator(user=user):
        return queryset.all()
    return queryset.filter(
        Q(workshop__verification_status=Workshop.Verification.VERIFIED) | own
    ).distinct()


@dataclass(frozen=True)
class CalendarBlock:
    kind: str  # "open", "past" (opening hours gone by), "closed", "booked"
    starts_at: datetime
    ends_at: datetime
    label: str = ""


def machine_capacity(*, machine: Machine, start: datetime, end: datetime) -> dict:
    """Opening hours (local to the workshop), closures, bookings and what is left of
    [start, end) for one machine; hours gone by are not free."""
    opening = machine_opening(machine=machine, start=start, end=end)
    closures = list(machine.exceptions.filter(starts_at__lt=end, ends_at__gt=start))
    bookings = list(machine.bookings.filter(starts_at__lt=end, ends_at__gt=start))
    free = subtract(
        opening,
        [(c.starts_at, c.ends_at) for c in closures] + [(b.starts_at, b.ends_at) for b in bookings],
    )
    free = not_before(free, timezone.now())  # an hour gone by is not free any more
    if machine.status != Machine.Status.AVAILABLE:
        free = []
    return {
        "opening": opening,
        "closures": closures,
        "bookings": bookings,
        "free": free,
        "open_hours": total_hours(opening),
        "booked_hours": total_hours((b.starts_at, b.ends_at) for b in bookings),
        "free_hours": total_hours(free),
    }


def _clock_hours(moment: datetime, zone: ZoneInfo) -> float:
    """Hours since local midnight on the wall clock (what the calendar's axis shows)."""
    local = moment.astimezone(zone)
    return local.hour + local.minute / 60 + local.second / 3600


def _calendar_blocks(capacity: dict, now: datetime) -> list[CalendarBlock]:
    """Opening hours gone by are drawn as past, not open: they cannot be booked any more."""
    blocks = [CalendarBlock("past", lo, min(hi, now)) for lo, hi in capacity["opening"] if lo < now]
    blocks += [CalendarBlock("open", lo, hi) for lo, hi in not_before(capacity["opening"], now)]
    blocks += [
        CalendarBlock("closed", c.starts_at, c.ends_at, c.get_kind_display())
        for c in capacity["closures"]
    ]
    blocks += [
        CalendarBlock("booked", b.starts_at, b.ends_at, b.reference) for b in capacity["bookings"]
    ]
    return blocks


def week_calendar(*, machine: Machine, week_of: date) -> dict:
    """The local week (Monday to Sunday in the workshop's time zone) holding ``week_of``, laid
    out for the calendar page: one column per local day, blocks in wall-clock hours from 0."""
    zone = ZoneInfo(machine.workshop.timezone)
    monday = week_of - timedelta(days=week_of.weekday())
    midnights = [local_instant(monday + timedelta(days=n), time.min, zone) for n in range(8)]
    week_start, end = midnights[0], midnights[7]
    capacity = machine_capacity(machine=machine, start=week_start, end=end)
    blocks = _calendar_blocks(capacity, timezone.now())
    days = []
    for offset in range(7):
        day_start, day_end = midnights[offset], midnights[offset + 1]
        day_blocks = []
        for block in blocks:
            lo, hi = max(block.starts_at, day_start), min(block.ends_at, day_end)
            if lo < hi:
                top = _clock_hours(lo, zone)
                bottom = 24 if hi == day_end else _clock_hours(hi, zone)
                day_blocks.append(
                    {
                        "kind": block.kind,
                        "label": block.label,
                        "top": top,
                        "height": max(bottom - top, 0),
                        "starts_at": lo,
                        "ends_at": hi,
                    }
                )
        days.append({"date": monday + timedelta(days=offset), "blocks": day_blocks})
    return {
        **capacity,
        "days": days,
        "week_start": week_start.astimezone(zone),
        "week_end": end.astimezone(zone),
        "time_zone": machine.workshop.timezone,
    }


def offered_to_matcher(*, workshop: Workshop) -> dict:
    """What the matcher sees of a workshop in the next four weeks, and why not more."""
    start, end = next_weeks(4)
    reasons = []
    if not workshop.is_verified:
        reasons.append("The workshop is not verified yet, so the matcher offers it no jobs.")
    machines = list(
        machines_of_workshop(workshop=workshop).prefetch_related("exceptions", "bookings")
    )
    offered = []
    for machine in machines:
        capacity = machine_capacity(machine=machine, start=start, end=end)
        if machine.status != Machine.Status.AVAILABLE:
            reasons.append(f"{machine.name} is {machine.get_status_display().lower()}.")
        elif not capacity["opening"]:
            reasons.append(f"{machine.name} has no opening hours.")
        elif workshop.is_verified:
            offered.append((machine, capacity["free_hours"]))
    return {
        "machines": offered,
        "free_hours": round(sum(hours for _, hours in offered), 1),
        "reasons": reasons,
    }


def network_map_for(*, workshops: list[Workshop], carriers: bool = False) -> NetworkMap:
    """The offline map of the given workshops, each dot linking to its page."""
    points = [
        MapPoint(
            lat=float(w.latitude),
            lon=float(w.longitude),
            label=w.city,
            kind="workshop",
            url=reverse("workshop_detail", args=[w.pk]),
            title=f"{w} — {w.city}, {w.country}",
        )
        for w in workshops
    ]
    return network_map(points, title=f"Map of {len(points)} workshops")
