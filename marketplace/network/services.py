"""Writes of the network: workshop profiles, machines, capacity, bookings and status."""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import record
from accounts.models import Membership, Organization, User
from accounts.permissions import require_membership, require_operator
from accounts.selectors import is_operator, member_user_ids
from config.live import publish_on_commit, user_group
from marketplace.errors import (
    CapacityUnavailable,
    DomainError,
    InvalidCapacity,
    InvalidMachine,
    PermissionDenied,
)
from marketplace.network import page_cache
from marketplace.network.capacity import WeeklySlot, expand_weekly, subtract
from marketplace.network.local_hours import is_time_zone, zone_for_country
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Certification,
    Machine,
    MachineStatusChange,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
    WorkshopPhoto,
)
from marketplace.network.partner_events import machine_status_emit
from marketplace.network.selectors import weekly_slots
from marketplace.network.signals import machine_available, machine_unavailable


def _require_workshop_manager(*, user: User, workshop: Workshop) -> None:
    require_membership(user=user, organization=workshop.organization, roles=Membership.MANAGERS)


def _require_workshop_member(*, user: User, workshop: Workshop) -> None:
    require_membership(user=user, organization=workshop.organization)


@dataclass(frozen=True)
class WorkshopProfile:
    description: str
    address: str
    city: str
    country: str
    latitude: float
    longitude: float
    min_lead_time_hours: int
    urgent_lead_time_hours: int | None = None
    certifications: Sequence[Certification] = ()
    timezone: str = ""  # IANA name; empty: the country's zone


@transaction.atomic
def workshop_profile_save(
    *, user: User, organization: Organization, profile: WorkshopProfile
) -> Workshop:
    """Creates or updates a workshop's public profile; a new one waits for verification."""
    if organization.kind != Organization.Kind.WORKSHOP:
        raise PermissionDenied("Only workshop organizations have a workshop profile.")
    require_membership(user=user, organization=organization, roles=Membership.MANAGERS)
    zone = profile.timezone.strip() or zone_for_country(profile.country)
    if not is_time_zone(zone):
        raise DomainError(
            f"{zone!r} is not a time zone: use an IANA name such as Europe/Berlin.",
            code="invalid_time_zone",
        )
    workshop, _ = Workshop.objects.update_or_create(
        organization=organization,
        defaults={
            "description": profile.description.strip(),
            "address": profile.address.strip(),
            "city": profile.city.strip(),
            "country": profile.country.strip().upper(),
            "latitude": profile.latitude,
            "longitude": profile.longitude,
            "min_lead_time_hours": profile.min_lead_time_hours,
            "urgent_lead_time_hours": profile.urgent_lead_time_hours,
            "timezone": zone,
        },
    )
    workshop.certifications.set(profile.certifications)
    return workshop


def workshop_photo_add(
    *, user: User, workshop: Workshop, image, caption: str = ""
) -> WorkshopPhoto:
    _require_workshop_manager(user=user, workshop=workshop)
    return WorkshopPhoto.objects.create(workshop=workshop, image=image, caption=caption.strip())


@transaction.atomic
def workshop_verify(*, user: User, workshop: Workshop, status: str, note: str = "") -> Workshop:
    """An operator's decision on a workshop; only verified workshops receive jobs."""
    require_operator(user=user)
    if status not in Workshop.Verification.values:
        raise DomainError(f"Unknown verification status {status!r}.")
    if status in (Workshop.Verification.REJECTED, Workshop.Verification.SUSPENDED) and not note:
        raise DomainError("Say why, so that the workshop knows what to fix.", code="note_required")
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    workshop.verification_status = status
    workshop.verification_note = note
    workshop.verified_at = timezone.now() if status == Workshop.Verification.VERIFIED else None
    workshop.save(update_fields=["verification_status", "verification_note", "verified_at"])
    record(
        actor=user,
        action="workshop.verify",
        target=workshop,
        details={"status": status, "note": note},
    )
    for member_id in member_user_ids(workshop.organization_id):
        publish_on_commit(
            user_group(member_id),
            {
                "type": "workshop.verification",
                "data": {"workshop": workshop.pk, "status": status, "note": note},
            },
        )
    return workshop


@dataclass(frozen=True)
class MachineSpec:
    name: str
    process: Process
    materials: Sequence[Material]
    envelope_mm: tuple[int, int, int]
    tolerance_mm: float
    hourly_rate_minor: int
    setup_cost_minor: int
    setup_minutes: int
    throughput: float
    currency: str = "EUR"


def _validate_machine(spec: MachineSpec) -> None:
    if not spec.name.strip():
        raise InvalidMachine("Give the machine a name your team recognises.")
    if any(size <= 0 for size in spec.envelope_mm):
        raise InvalidMachine("Each side of the build envelope must be larger than 0 mm.")
    if spec.tolerance_mm <= 0:
        raise InvalidMachine("The achievable tolerance must be larger than 0 mm.")
    if spec.throughput <= 0:
        raise InvalidMachine(
            f"The throughput ({spec.process.get_rate_unit_display()}) must be larger than 0."
        )
    if min(spec.hourly_rate_minor, spec.setup_cost_minor, spec.setup_minutes) < 0:
        raise InvalidMachine("Rates, setup cost and setup time cannot be negative.")
    wrong = [m.name for m in spec.materials if not m.processes.filter(pk=spec.process.pk).exists()]
    if wrong:
        raise InvalidMachine(
            f"{spec.process.name} cannot process {', '.join(wrong)}: "
            "choose materials that this process takes."
        )


@transaction.atomic
def machine_save(
    *, user: User, workshop: Workshop, spec: MachineSpec, machine: Machine | None = None
) -> Machine:
    """Adds a machine to the user's workshop or changes one of its machines."""
    _require_workshop_manager(user=user, workshop=workshop)
    if machine is not None and machine.workshop_id != workshop.pk:
        raise PermissionDenied("This machine belongs to another workshop.")
    _validate_machine(spec)
    machine = machine or Machine(workshop=workshop)
    machine.name = spec.name.strip()
    machine.process = spec.process
    machine.envelope_x_mm, machine.envelope_y_mm, machine.envelope_z_mm = spec.envelope_mm
    machine.tolerance_mm = spec.tolerance_mm
    machine.hourly_rate_minor = spec.hourly_rate_minor
    machine.setup_cost_minor = spec.setup_cost_minor
    machine.setup_minutes = spec.setup_minutes
    machine.throughput = spec.throughput
    machine.currency = spec.currency
    machine.save()
    machine.materials.set(spec.materials)
    return machine


@transaction.atomic
def machine_delete(*, user: User, machine: Machine) -> None:
    _require_workshop_manager(user=user, workshop=machine.workshop)
    if machine.bookings.filter(ends_at__gt=timezone.now()).exists():
        raise InvalidMachine(
            "This machine has booked jobs ahead: finish or hand them over before removing it."
        )
    machine.bookings.all().delete()
    machine.delete()


@transaction.atomic
def weekly_hours_set(
    *,
    user: User,
    machine: Machine,
    slots: Iterable[tuple[int, time, time]],
    force: bool = False,
) -> list[WeeklyAvailability]:
    """Replaces the machine's weekly opening hours; slots of one day may not overlap.

    Shorter hours that leave booked jobs outside them are refused with the list of those
    jobs, unless ``force``: then they are accepted and the jobs re-planned (signal
    ``machine_unavailable`` for the bookings no longer covered).
    """
    _require_workshop_member(user=user, workshop=machine.workshop)
    slots = sorted(slots)
    for weekday, start, end in slots:
        if not 0 <= weekday <= 6:
            raise InvalidCapacity(f"Unknown weekday {weekday}.")
        if start >= end:
            raise InvalidCapacity(f"On {_DAY[weekday]} the opening must start before it ends.")
    for (day_a, _, end_a), (day_b, start_b, _) in itertools.pairwise(slots):
        if day_a == day_b and start_b < end_a:
            raise InvalidCapacity(f"Two openings on {_DAY[day_a]} overlap.")
    machine = Machine.objects.select_for_update().get(pk=machine.pk)
    weekly = [WeeklySlot(d, s, e) for d, s, e in slots]
    outside = [
        booking
        for booking in machine.bookings.filter(ends_at__gt=timezone.now())
        if not _within(weekly, _closures(machine, booking), booking, zone=machine.workshop.timezone)
    ]
    _refuse_or_replan(
        machine=machine, covered=outside, force=force, what="These opening hours leave"
    )
    machine.weekly_hours.all().delete()
    created = WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=s, end_time=e)
        for d, s, e in slots
    )
    page_cache.rows_written(WeeklyAvailability)
    return created


def _closures(machine: Machine, booking: CapacityBooking) -> list[tuple[datetime, datetime]]:
    closures = machine.exceptions.filter(
        starts_at__lt=booking.ends_at, ends_at__gt=booking.starts_at
    )
    return [(c.starts_at, c.ends_at) for c in closures]


def _within(
    slots: Sequence[WeeklySlot],
    closures: Sequence[tuple[datetime, datetime]],
    booking: CapacityBooking,
    *,
    zone: str,
) -> bool:
    """Whether the booking lies wholly in the opening hours (the rule `capacity_book` uses)."""
    return _wholly_open(slots, closures, booking.starts_at, booking.ends_at, zone=zone)


def _wholly_open(
    slots: Sequence[WeeklySlot],
    closures: Sequence[tuple[datetime, datetime]],
    starts_at: datetime,
    ends_at: datetime,
    *,
    zone: str,
) -> bool:
    """Whether [starts_at, ends_at) lies wholly in the local opening hours, no closure in it."""
    opening = expand_weekly(slots, starts_at, ends_at, zone=zone)
    return subtract(opening, closures) == [(starts_at, ends_at)]


COVERED_LISTED = 10  # bookings named in a refusal; the rest are counted


def _refuse_or_replan(
    *,
    machine: Machine,
    covered: list[CapacityBooking],
    force: bool,
    what: str,
    window: tuple[datetime, datetime] | None = None,
) -> None:
    """Booked jobs a change would cover: refused with their list, or (``force``) accepted and
    handed to re-planning after commit, so no booking is left silently impossible.

    ``window`` is when the machine cannot run (a closure's start and end); without it, the
    span of the covered bookings. Listeners get it as ``starts_at``/``until``, so a closure
    next month is not read as the machine being down from now.
    """
    if not covered:
        return
    covered.sort(key=lambda b: b.starts_at)
    if not force:
        listed = "; ".join(
            f"{b.reference} ({b.starts_at:%Y-%m-%d %H:%M}-{b.ends_at:%H:%M} UTC)"
            for b in covered[:COVERED_LISTED]
        )
        more = len(covered) - COVERED_LISTED
        raise InvalidCapacity(
            f"{what} {len(covered)} booked job(s) of {machine.name} without machine time: "
            f"{listed}{f'; and {more} more' if more > 0 else ''}. Hand them over first, or "
            "confirm to have them re-planned elsewhere.",
            code="bookings_covered",
        )
    starts_at, until = window or (covered[0].starts_at, max(b.ends_at for b in covered))
    starts_at = max(starts_at, timezone.now())
    transaction.on_commit(
        lambda: machine_unavailable.send(
            sender=Machine,
            machine=machine,
            status=machine.status,
            starts_at=starts_at,
            until=until,
            affected_bookings=covered,
        )
    )


_DAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@transaction.atomic
def capacity_exception_add(
    *,
    user: User,
    machine: Machine,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = CapacityException.Kind.HOLIDAY,
    note: str = "",
    force: bool = False,
) -> CapacityException:
    """Closes a machine for a while (holiday, maintenance); closures may not overlap.

    A closure over booked jobs is refused with their list, unless ``force``: then the jobs are
    re-planned (signal ``machine_unavailable`` for the covered bookings).
    """
    _require_workshop_member(user=user, workshop=machine.workshop)
    if starts_at >= ends_at:
        raise InvalidCapacity("A closure must start before it ends.")
    Machine.objects.select_for_update().get(pk=machine.pk)
    clash = machine.exceptions.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        zone = ZoneInfo(machine.workshop.timezone)  # as the workshop typed it
        raise InvalidCapacity(
            f"This overlaps the {clash.get_kind_display().lower()} from "
            f"{clash.starts_at.astimezone(zone):%Y-%m-%d %H:%M} to "
            f"{clash.ends_at.astimezone(zone):%Y-%m-%d %H:%M}: change that one instead."
        )
    covered = list(
        machine.bookings.filter(starts_at__lt=ends_at, ends_at__gt=max(starts_at, timezone.now()))
    )
    _refuse_or_replan(
        machine=machine,
        covered=covered,
        force=force,
        what="This closure leaves",
        window=(starts_at, ends_at),
    )
    return CapacityException.objects.create(
        machine=machine, starts_at=starts_at, ends_at=ends_at, kind=kind, note=note.strip()
    )


@transaction.atomic
def capacity_exception_remove(*, user: User, exception: CapacityException) -> None:
    _require_workshop_member(user=user, workshop=exception.machine.workshop)
    exception.delete()


def _free_for_booking(machine: Machine, starts_at: datetime, ends_at: datetime) -> bool:
    closures = machine.exceptions.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    return _wholly_open(
        weekly_slots(machine),
        [(c.starts_at, c.ends_at) for c in closures],
        starts_at,
        ends_at,
        zone=machine.workshop.timezone,
    )


@transaction.atomic
def capacity_book(
    *, machine: Machine, starts_at: datetime, ends_at: datetime, reference: str
) -> CapacityBooking:
    """Books machine time for a job, never twice.

    The machine row is locked first, so concurrent bookings of one machine queue up and each
    sees the ones before it; on PostgreSQL an exclusion constraint backs this up, so even a
    writer that skipped the lock cannot double-book.
    """
    if starts_at >= ends_at:
        raise InvalidCapacity("A booking must start before it ends.")
    machine = Machine.objects.select_for_update().get(pk=machine.pk)
    if not Workshop.objects.verified().filter(pk=machine.workshop_id).exists():
        raise CapacityUnavailable(
            f"{machine.name}'s workshop is not verified, so it takes no jobs yet."
        )
    if machine.status != Machine.Status.AVAILABLE:
        raise CapacityUnavailable(f"{machine.name} is {machine.get_status_display().lower()}.")
    if not _free_for_booking(machine, starts_at, ends_at):
        raise CapacityUnavailable(
            f"{machine.name} is not open for the whole of "
            f"{starts_at:%Y-%m-%d %H:%M}-{ends_at:%H:%M} UTC."
        )
    clash = machine.bookings.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        raise CapacityUnavailable(
            f"{machine.name} is already booked from {clash.starts_at:%Y-%m-%d %H:%M} "
            f"to {clash.ends_at:%H:%M} UTC."
        )
    try:
        with transaction.atomic():
            return CapacityBooking.objects.create(
                machine=machine, starts_at=starts_at, ends_at=ends_at, reference=reference
            )
    except IntegrityError as error:
        raise CapacityUnavailable(f"{machine.name} was booked by someone else just now.") from error


@transaction.atomic
def capacity_release(*, booking: CapacityBooking) -> None:
    booking.delete()


@transaction.atomic
def machine_status_set(
    *,
    user: User | None,
    machine: Machine,
    status: str,
    note: str = "",
    until: datetime | None = None,
) -> Machine:
    """Records a status change from the browser or a workshop's MES.

    A machine that stops being available tells the matcher (signal `machine_unavailable`,
    after commit) which bookings it can no longer honour; one coming back says so
    (`machine_available`), and its workshop's members see the change live. Setting the same
    status again only refreshes the note. Operators may set any machine's status (they take
    a whole workshop down with ``workshop_take_down``).
    """
    if user is not None and not is_operator(user=user):
        _require_workshop_member(user=user, workshop=machine.workshop)
    if status not in Machine.Status.values:
        raise InvalidMachine(
            f"Unknown status {status!r}: use one of {', '.join(Machine.Status.values)}."
        )
    if until is not None and until <= timezone.now():
        raise InvalidMachine("'until' must lie in the future.")
    machine = Machine.objects.select_for_update().get(pk=machine.pk)
    previous = machine.status
    machine.status = status
    machine.status_note = note.strip()
    machine.status_until = until if status != Machine.Status.AVAILABLE else None
    machine.save(update_fields=["status", "status_note", "status_until"])
    MachineStatusChange.objects.create(
        machine=machine,
        status=status,
        previous_status=previous,
        note=machine.status_note,
        until=machine.status_until,
        changed_by=user,
    )
    for member_id in member_user_ids(machine.workshop.organization_id):
        publish_on_commit(
            user_group(member_id),
            {
                "type": "machine.status",
                "data": {"machine": machine.pk, "status": status, "note": machine.status_note},
            },
        )
    if (status == Machine.Status.AVAILABLE) != (previous == Machine.Status.AVAILABLE):
        machine_status_emit(machine, available=status == Machine.Status.AVAILABLE)
    if status == Machine.Status.AVAILABLE and previous != Machine.Status.AVAILABLE:
        transaction.on_commit(
            lambda: machine_available.send(
                sender=Machine, machine=machine, previous_status=previous
            )
        )
    if status != Machine.Status.AVAILABLE and previous == Machine.Status.AVAILABLE:
        affected = list(
            machine.bookings.filter(ends_at__gt=timezone.now()).filter(
                Q(starts_at__lt=until) if until else Q()
            )
        )
        down_since = timezone.now()
        transaction.on_commit(
            lambda: machine_unavailable.send(
                sender=Machine,
                machine=machine,
                status=status,
                starts_at=down_since,
                until=until,
                affected_bookings=affected,
            )
        )
    return machine


def machines_recover(*, now: datetime | None = None) -> list[Machine]:
    """Machines whose announced ``until`` has passed (maintenance over, repair done) are
    available again, as if their workshop had said so: the housekeeping pass runs this, so a
    forgotten status does not hide capacity for ever."""
    now = now or timezone.now()
    recovered = []
    due = Machine.objects.exclude(status=Machine.Status.AVAILABLE).filter(status_until__lte=now)
    for machine_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            machine = Machine.objects.select_for_update().get(pk=machine_id)
            if machine.status == Machine.Status.AVAILABLE or not (
                machine.status_until and machine.status_until <= now
            ):
                continue  # someone changed it meanwhile
            note = (
                f"Back after {machine.get_status_display().lower()}: "
                f"the announced end ({machine.status_until:%Y-%m-%d %H:%M} UTC) passed."
            )
            recovered.append(
                machine_status_set(
                    user=None, machine=machine, status=Machine.Status.AVAILABLE, note=note
                )
            )
    return recovered


@transaction.atomic
def workshop_take_down(
    *,
    user: User,
    workshop: Workshop,
    note: str,
    machine_ids: Iterable[int] | None = None,
    status: str = Machine.Status.DOWN,
    until: datetime | None = None,
) -> list[Machine]:
    """An operator takes a workshop (or some of its machines) out of the network at once.

    Each machine goes through ``machine_status_set``, so its history, the workshop's live
    view and the ``machine_unavailable`` signal (hence the re-plan) are the ones a workshop's
    own status push gives; machines already unavailable keep their status.
    """
    require_operator(user=user)
    if status == Machine.Status.AVAILABLE:
        raise InvalidMachine("Taking a workshop down needs 'down' or 'maintenance'.")
    machines = Machine.objects.filter(workshop=workshop).order_by("pk")
    if machine_ids is not None:
        wanted = set(machine_ids)
        machines = machines.filter(pk__in=wanted)
        if len(machines) != len(wanted):
            raise InvalidMachine(f"Only machines of {workshop} can be taken down with it.")
    targets = [m for m in machines if m.status == Machine.Status.AVAILABLE]
    if not targets:
        raise InvalidMachine(f"{workshop} has no available machine to take down.")
    taken = [
        machine_status_set(user=user, machine=m, status=status, note=note, until=until)
        for m in targets
    ]
    record(
        actor=user,
        action="workshop.take_down",
        target=workshop,
        details={"machines": [m.pk for m in taken], "status": status, "until": until, "note": note},
    )
    return taken
