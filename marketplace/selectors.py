"""Reads of the network: catalog, workshops, machines and their free capacity."""

from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Organization
from marketplace.capacity import WeeklySlot, free_intervals, total_hours
from marketplace.models import (
    CapacityException,
    Carrier,
    Machine,
    Process,
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


def workshops_for_network(*, process: str = "", country: str = "") -> QuerySet[Workshop]:
    """Verified workshops with what they offer, for customers and operators browsing."""
    queryset = (
        Workshop.objects.verified()
        .select_related("organization")
        .annotate(machine_count=Count("machines", distinct=True))
        .prefetch_related(
            "certifications",
            Prefetch("machines", queryset=Machine.objects.select_related("process")),
        )
    )
    if process:
        queryset = queryset.filter(machines__process__code=process).distinct()
    if country:
        queryset = queryset.filter(country=country.upper())
    return queryset


def operator_overview() -> dict:
    by_kind = dict(
        Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
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
    }


def next_weeks(weeks: int = 4) -> tuple[datetime, datetime]:
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(weeks=weeks)
