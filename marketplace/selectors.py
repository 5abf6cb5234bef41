"""Reads of the network: catalog, workshops, machines and their free capacity."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import is_operator
from marketplace.capacity import WeeklySlot, expand_weekly, free_intervals, subtract, total_hours
from marketplace.errors import NotFound
from marketplace.geo import MapLine, MapPoint, NetworkMap, network_map
from marketplace.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Design,
    DesignReport,
    DesignRevision,
    Job,
    Machine,
    Order,
    Process,
    QuoteRequest,
    Shipment,
    WeeklyAvailability,
    Workshop,
)


def workshop_for_organization(*, organization: Organization) -> Workshop | None:
    return Workshop.objects.filter(organization=organization).first()


def machines_of_workshop(*, workshop: Workshop) -> QuerySet[Machine]:
    return (
        workshop.machines.select_related("process")
        .prefetch_related("materials", "weekly_hours")
        .order_by("name")
    )


def machine_free_hours(
    *, machines: list[Machine], start: datetime, end: datetime
) -> dict[int, float]:
    """Free hours of each machine in [start, end); two queries whatever the number of machines."""
    ids = [m.pk for m in machines]
    slots: dict[int, list[WeeklySlot]] = {pk: [] for pk in ids}
    for row in WeeklyAvailability.objects.filter(machine_id__in=ids):
        slots[row.machine_id].append(WeeklySlot(row.weekday, row.start_time, row.end_time))
    closures: dict[int, list] = {pk: [] for pk in ids}
    for row in CapacityException.objects.filter(
        machine_id__in=ids, ends_at__gt=start, starts_at__lt=end
    ):
        closures[row.machine_id].append((row.starts_at, row.ends_at))
    return {
        pk: round(total_hours(free_intervals(slots[pk], closures[pk], [], start, end)), 1)
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


def operator_overview() -> dict:
    """What the operator console shows: queues to work through and the network's health."""
    from billing.models import Payment
    from billing.selectors import billing_overview, platform_balances

    by_kind = dict(
        Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    completed = Order.objects.filter(status="completed", delivered_at__isnull=False)
    on_time = completed.filter(delivered_at__lte=F("promised_delivery_at")).count()
    orders_chart = [
        {"label": label, "count": by_status.get(value, 0)} for value, label in Order.Status.choices
    ]
    peak = max([row["count"] for row in orders_chart] + [1])
    for row in orders_chart:
        row["width"] = round(300 * row["count"] / peak)
    return {
        "organizations_by_kind": [
            (kind.label, by_kind.get(kind.value, 0)) for kind in Organization.Kind
        ],
        "pending_workshops": Workshop.objects.filter(
            verification_status=Workshop.Verification.PENDING
        ).select_related("organization"),
        "machines_down": Machine.objects.filter(~Q(status=Machine.Status.AVAILABLE)).select_related(
            "workshop__organization", "process"
        ),
        "payments_waiting": Payment.objects.filter(
            provider="manual", status=Payment.Status.PENDING
        ).order_by("created_at")[:50],
        "disputes": Order.objects.filter(status="disputed").select_related("organization"),
        "design_reports": DesignReport.objects.filter(status="open").select_related(
            "design__organization", "reporter"
        ),
        "orders_chart": orders_chart,
        "on_time_rate": round(100 * on_time / completed.count()) if completed.exists() else None,
        "completed_count": completed.count(),
        "platform_balances": [
            (account, money) for account, money in platform_balances() if money.minor
        ],
        "utilisation": workshop_utilisation(),
        "billing": [_with_chart(row) for row in billing_overview(days=30)],
    }


def _with_chart(row) -> dict:
    """Bar heights for the daily revenue chart (0-60 px)."""
    peak = max([day.revenue.minor for day in row.daily_revenue] + [1])
    bars = [
        {
            "x": index * 10,
            "h": round(60 * day.revenue.minor / peak),
            "day": day.day,
            "revenue": day.revenue,
        }
        for index, day in enumerate(row.daily_revenue)
    ]
    return {"row": row, "bars": bars}


def workshop_utilisation(weeks: int = 4) -> list[dict]:
    """Booked share of open machine hours per verified workshop, for the coming weeks."""
    start, end = next_weeks(weeks)
    workshops = list(Workshop.objects.verified().select_related("organization"))
    machines = list(Machine.objects.filter(workshop__in=workshops).prefetch_related("weekly_hours"))
    bookings: dict[int, float] = {}
    for booking in CapacityBooking.objects.filter(
        machine__in=machines, starts_at__lt=end, ends_at__gt=start
    ):
        hours = (min(booking.ends_at, end) - max(booking.starts_at, start)).total_seconds() / 3600
        bookings[booking.machine_id] = bookings.get(booking.machine_id, 0) + hours
    rows = {w.pk: {"workshop": w, "open": 0.0, "booked": 0.0} for w in workshops}
    for machine in machines:
        slots = [
            WeeklySlot(s.weekday, s.start_time, s.end_time) for s in machine.weekly_hours.all()
        ]
        rows[machine.workshop_id]["open"] += total_hours(expand_weekly(slots, start, end))
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
    kind: str  # "open", "closed", "booked"
    starts_at: datetime
    ends_at: datetime
    label: str = ""


def machine_capacity(*, machine: Machine, start: datetime, end: datetime) -> dict:
    """Opening hours, closures, bookings and what is left of [start, end), for one machine."""
    slots = [WeeklySlot(w.weekday, w.start_time, w.end_time) for w in machine.weekly_hours.all()]
    opening = expand_weekly(slots, start, end)
    closures = list(machine.exceptions.filter(starts_at__lt=end, ends_at__gt=start))
    bookings = list(machine.bookings.filter(starts_at__lt=end, ends_at__gt=start))
    free = subtract(
        opening,
        [(c.starts_at, c.ends_at) for c in closures] + [(b.starts_at, b.ends_at) for b in bookings],
    )
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


def week_calendar(*, machine: Machine, week_start: datetime) -> dict:
    """A week laid out for the calendar page: one column per day, blocks in hours from 0."""
    end = week_start + timedelta(days=7)
    capacity = machine_capacity(machine=machine, start=week_start, end=end)
    blocks = (
        [CalendarBlock("open", lo, hi) for lo, hi in capacity["opening"]]
        + [
            CalendarBlock("closed", c.starts_at, c.ends_at, c.get_kind_display())
            for c in capacity["closures"]
        ]
        + [
            CalendarBlock("booked", b.starts_at, b.ends_at, b.reference)
            for b in capacity["bookings"]
        ]
    )
    days = []
    for offset in range(7):
        day_start = week_start + timedelta(days=offset)
        day_end = day_start + timedelta(days=1)
        day_blocks = []
        for block in blocks:
            lo, hi = max(block.starts_at, day_start), min(block.ends_at, day_end)
            if lo < hi:
                top = (lo - day_start).total_seconds() / 3600
                height = (hi - lo).total_seconds() / 3600
                day_blocks.append(
                    {
                        "kind": block.kind,
                        "label": block.label,
                        "top": top,
                        "height": height,
                        "starts_at": lo,
                        "ends_at": hi,
                    }
                )
        days.append({"date": day_start, "blocks": day_blocks})
    return {**capacity, "days": days, "week_start": week_start, "week_end": end}


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


def designs_of_organization(*, organization: Organization) -> QuerySet[Design]:
    return (
        Design.objects.filter(organization=organization)
        .prefetch_related("revisions")
        .order_by("-created_at")
    )


def design_get_for_member(*, design_id: int, user) -> Design:
    """A design the user may see: their organization's, or any for operators."""
    design = (
        Design.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related("revisions")
        .filter(pk=design_id)
        .first()
    )
    if design is None:
        raise NotFound("No such design.")
    return design


def revision_get_for_member(*, revision_id: int, user) -> DesignRevision:
    """A revision whose design the user may see; the one gate for downloads and previews."""
    revision = (
        DesignRevision.objects.filter(design__in=Design.objects.visible_to(user), pk=revision_id)
        .select_related("design__organization")
        .first()
    )
    if revision is None:
        raise NotFound("No such design file.")
    return revision


def orders_visible_to(*, user) -> QuerySet[Order]:
    return (
        Order.objects.visible_to(user)
        .select_related("organization", "option__request")
        .order_by("-placed_at")
    )


def order_get_for_member(*, order_id: int, user) -> Order:
    """An order the user may see: its customer, the workshops and carriers on it, operators."""
    order = orders_visible_to(user=user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def quote_get_for_member(*, quote_id: int, user) -> QuoteRequest:
    quote = (
        QuoteRequest.objects.filter(pk=quote_id, organization__memberships__user=user)
        .prefetch_related("options", "lines__revision__design", "lines__material", "lines__finish")
        .first()
    )
    if quote is None:
        raise NotFound("No such quote.")
    return quote


def jobs_for_workshop(*, workshop: Workshop) -> QuerySet[Job]:
    return (
        Job.objects.filter(workshop=workshop)
        .exclude(status__in=[Job.Status.PLANNED, Job.Status.SUPERSEDED])
        .select_related("order", "machine", "process", "line__revision__design")
        .order_by("planned_start")
    )


def shipments_for_carrier(*, carrier: Carrier) -> QuerySet[Shipment]:
    return (
        Shipment.objects.filter(carrier=carrier)
        .exclude(status=Shipment.Status.SUPERSEDED)
        .select_related("order", "origin__organization", "destination__organization")
        .order_by("planned_departure")
    )


def gantt_for(*, steps: list[dict], legs: list[dict], width: int = 900) -> dict:
    """Bars of a plan laid out over time: one row per step, legs drawn between them."""
    from django.utils.dateparse import parse_datetime

    items = [
        {
            **s,
            "kind": "step",
            "start_at": parse_datetime(s["start"]),
            "end_at": parse_datetime(s["end"]),
        }
        for s in steps
    ] + [
        {
            **leg,
            "kind": "leg",
            "start_at": parse_datetime(leg["depart"]),
            "end_at": parse_datetime(leg["arrive"]),
        }
        for leg in legs
    ]
    if not items:
        return {"rows": [], "width": width, "height": 0, "ticks": []}
    start = min(i["start_at"] for i in items)
    end = max(i["end_at"] for i in items)
    span = max((end - start).total_seconds(), 3600)
    label_width, row_height = 230, 26
    scale = (width - label_width - 10) / span
    rows = []
    for index, item in enumerate(sorted(items, key=lambda i: (i["start_at"], i["kind"]))):
        x = label_width + (item["start_at"] - start).total_seconds() * scale
        w = max(3.0, (item["end_at"] - item["start_at"]).total_seconds() * scale)
        if item["kind"] == "step":
            label = f"{item['name']} · {item.get('workshop_name', '')}"
        else:
            label = f"Transport · {item.get('carrier_name', '')}"
        rows.append(
            {
                "y": 10 + index * row_height,
                "x": round(x, 1),
                "w": round(w, 1),
                "label": label,
                "kind": item["kind"],
                "title": f"{label}: {item['start_at']:%a %d %b %H:%M} – "
                f"{item['end_at']:%a %d %b %H:%M}",
            }
        )
    days = int(span // 86400) + 1
    step_days = max(1, days // 8)
    ticks = []
    day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(0, days + 2, step_days):
        moment = day0 + timedelta(days=d)
        x = label_width + (moment - start).total_seconds() * scale
        if label_width <= x <= width:
            ticks.append({"x": round(x, 1), "label": f"{moment:%d %b}"})
    return {
        "rows": rows,
        "width": width,
        "height": 20 + len(rows) * row_height,
        "ticks": ticks,
        "label_width": label_width,
    }


def route_map_for(*, option: dict, ship_to: tuple[float, float]) -> NetworkMap:
    """The route of a plan on the map: workshops in order, legs as arrows, the customer last."""
    workshops = Workshop.objects.in_bulk(option.get("workshop_ids", []))
    points = [
        MapPoint(
            lat=float(w.latitude),
            lon=float(w.longitude),
            label=w.city,
            kind="workshop",
            title=f"{w} — {w.city}",
        )
        for w in workshops.values()
    ]
    customer = MapPoint(
        lat=ship_to[0], lon=ship_to[1], label="You", kind="customer", title="Delivery address"
    )
    points.append(customer)
    lines = []
    for leg in option.get("legs", []):
        origin = workshops.get(leg["origin_workshop_id"])
        target = workshops.get(leg.get("destination_workshop_id"))
        if origin is None:
            continue
        lines.append(
            MapLine(
                from_lat=float(origin.latitude),
                from_lon=float(origin.longitude),
                to_lat=float(target.latitude) if target else customer.lat,
                to_lon=float(target.longitude) if target else customer.lon,
                label=f"{leg.get('carrier_name', '')}, {leg['km']:.0f} km",
            )
        )
    return network_map(points, lines, title="Route of this option")
