"""Workshop services and selectors: machines, opening hours, closures, bookings, status, network."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Membership, Organization
from marketplace.errors import (
    CapacityUnavailable,
    DomainError,
    InvalidCapacity,
    InvalidMachine,
    PermissionDenied,
)
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Machine,
    MachineStatusChange,
    Workshop,
)
from marketplace.network.selectors import (
    NetworkFilter,
    machine_free_hours,
    offered_to_matcher,
    workshops_for_network,
)
from marketplace.network.services import (
    MachineSpec,
    WorkshopProfile,
    capacity_book,
    capacity_exception_add,
    machine_delete,
    machine_save,
    machine_status_set,
    weekly_hours_set,
    workshop_profile_save,
    workshop_verify,
)
from marketplace.network.signals import machine_unavailable
from tests.factories import (
    CapacityBookingFactory,
    CapacityExceptionFactory,
    CertificationFactory,
    MachineFactory,
    MaterialFactory,
    MembershipFactory,
    ProcessFactory,
    UserFactory,
    WorkshopFactory,
)
from tests.helpers import MONDAY, at, workshop_of

pytestmark = pytest.mark.django_db


def spec(**overrides) -> MachineSpec:
    values = {
        "name": "DMG Mori CMX 600",
        "process": ProcessFactory(),
        "materials": [],
        "envelope_mm": (600, 560, 510),
        "tolerance_mm": Decimal("0.010"),
        "hourly_rate_minor": 7500,
        "setup_cost_minor": 4000,
        "setup_minutes": 45,
        "throughput": Decimal("25"),
    }
    return MachineSpec(**{**values, **overrides})


# Machines


def test_a_workshop_owner_adds_a_machine_with_the_materials_its_process_takes(
    workshop_bob, catalog
):
    machine = machine_save(
        user=workshop_bob, workshop=workshop_of(workshop_bob), spec=spec(materials=[catalog["alu"]])
    )
    machine.refresh_from_db()
    assert machine.envelope_mm == (600, 560, 510)
    assert list(machine.materials.all()) == [catalog["alu"]]
    assert machine.status == Machine.Status.AVAILABLE


@pytest.mark.parametrize("envelope", [(0, 560, 510), (600, -1, 510), (600, 560, -300)])
def test_an_envelope_of_zero_or_negative_size_is_refused_and_nothing_is_saved(
    workshop_bob, envelope
):
    with pytest.raises(InvalidMachine, match="Each side of the build envelope must be larger"):
        machine_save(
            user=workshop_bob, workshop=workshop_of(workshop_bob), spec=spec(envelope_mm=envelope)
        )
    assert not Machine.objects.exists()


def test_a_material_the_process_cannot_take_is_refused_with_both_names(workshop_bob, catalog):
    with pytest.raises(InvalidMachine) as error:
        machine_save(
            user=workshop_bob,
            workshop=workshop_of(workshop_bob),
            spec=spec(materials=[catalog["alu"], catalog["resin"]]),
        )
    assert error.value.message == (
        "3-axis CNC milling cannot process Tough Resin: choose materials that this process takes."
    )
    assert not Machine.objects.exists()


def test_a_refused_change_leaves_the_machine_as_it_was(mill, workshop_bob, catalog):
    with pytest.raises(InvalidMachine):
        machine_save(
            user=workshop_bob,
            workshop=mill.workshop,
            spec=spec(name="Renamed", materials=[catalog["resin"]]),
            machine=mill,
        )
    mill.refresh_from_db()
    assert mill.name == "Haas VF-2"
    assert mill.envelope_mm == (500, 400, 300)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "Give the machine a name"),
        ("tolerance_mm", Decimal("0"), "tolerance must be larger than 0 mm"),
        ("throughput", Decimal("0"), r"throughput \(cm³ removed per minute\) must be larger"),
        ("hourly_rate_minor", -1, "cannot be negative"),
    ],
)
def test_other_impossible_machine_values_are_refused_with_a_clear_message(
    workshop_bob, field, value, message
):
    with pytest.raises(InvalidMachine, match=message):
        machine_save(
            user=workshop_bob, workshop=workshop_of(workshop_bob), spec=spec(**{field: value})
        )


def test_a_workshop_cannot_save_a_machine_into_another_workshop(workshop_bob, workshop_charlie):
    with pytest.raises(PermissionDenied):
        machine_save(user=workshop_bob, workshop=workshop_of(workshop_charlie), spec=spec())
    assert not Machine.objects.exists()


def test_a_workshop_cannot_take_over_another_workshops_machine(mill, workshop_charlie):
    with pytest.raises(PermissionDenied):
        machine_save(
            user=workshop_charlie, workshop=workshop_of(workshop_charlie), spec=spec(), machine=mill
        )
    workshop_id = mill.workshop_id
    mill.refresh_from_db()
    assert (mill.workshop_id, mill.name) == (workshop_id, "Haas VF-2")


def test_a_plain_member_may_not_add_machines(workshop_bob):
    member = UserFactory()
    MembershipFactory(
        user=member,
        organization=workshop_of(workshop_bob).organization,
        role=Membership.Role.MEMBER,
    )
    with pytest.raises(PermissionDenied, match="owner or admin"):
        machine_save(user=member, workshop=workshop_of(workshop_bob), spec=spec())


def test_a_machine_with_bookings_ahead_cannot_be_removed(mill, workshop_bob):
    CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10))
    with pytest.raises(InvalidMachine, match="booked jobs ahead"):
        machine_delete(user=workshop_bob, machine=mill)
    assert Machine.objects.filter(pk=mill.pk).exists()


# Weekly hours


def test_weekly_hours_replace_the_old_ones(mill, workshop_bob):
    weekly_hours_set(
        user=workshop_bob, machine=mill, slots=[(5, time(9), time(13)), (0, time(6), time(22))]
    )
    assert [(w.weekday, w.start_time, w.end_time) for w in mill.weekly_hours.all()] == [
        (0, time(6), time(22)),
        (5, time(9), time(13)),
    ]


@pytest.mark.parametrize("end", [time(8), time(7)])
def test_an_opening_that_does_not_start_before_it_ends_is_refused(mill, workshop_bob, end):
    with pytest.raises(InvalidCapacity, match="On Tuesday the opening must start before it ends"):
        weekly_hours_set(user=workshop_bob, machine=mill, slots=[(1, time(8), end)])
    assert mill.weekly_hours.count() == 5


def test_overlapping_openings_on_one_day_are_refused_and_the_old_hours_kept(mill, workshop_bob):
    with pytest.raises(InvalidCapacity, match="Two openings on Wednesday overlap"):
        weekly_hours_set(
            user=workshop_bob,
            machine=mill,
            slots=[(2, time(8), time(12)), (2, time(11), time(15)), (3, time(8), time(12))],
        )
    assert mill.weekly_hours.count() == 5


def test_back_to_back_openings_are_fine(mill, workshop_bob):
    rows = weekly_hours_set(
        user=workshop_bob, machine=mill, slots=[(2, time(6), time(14)), (2, time(14), time(22))]
    )
    assert len(rows) == 2


def test_an_unknown_weekday_is_refused(mill, workshop_bob):
    with pytest.raises(InvalidCapacity, match="Unknown weekday 7"):
        weekly_hours_set(user=workshop_bob, machine=mill, slots=[(7, time(8), time(9))])


def test_another_workshop_cannot_change_the_hours(mill, workshop_charlie):
    with pytest.raises(PermissionDenied):
        weekly_hours_set(user=workshop_charlie, machine=mill, slots=[])
    assert mill.weekly_hours.count() == 5


# Closures


def test_an_overlapping_closure_is_refused_naming_the_existing_one(mill, workshop_bob):
    capacity_exception_add(
        user=workshop_bob, machine=mill, starts_at=at(0, 0), ends_at=at(3, 0), kind="maintenance"
    )
    with pytest.raises(InvalidCapacity) as error:
        capacity_exception_add(
            user=workshop_bob, machine=mill, starts_at=at(2, 0), ends_at=at(5, 0)
        )
    assert error.value.message == (
        f"This overlaps the maintenance from {at(0, 0):%Y-%m-%d %H:%M} to "
        f"{at(3, 0):%Y-%m-%d %H:%M}: change that one instead."
    )
    assert mill.exceptions.count() == 1


def test_a_closure_starting_when_the_last_one_ends_is_fine(mill, workshop_bob):
    capacity_exception_add(user=workshop_bob, machine=mill, starts_at=at(0, 0), ends_at=at(1, 0))
    capacity_exception_add(user=workshop_bob, machine=mill, starts_at=at(1, 0), ends_at=at(2, 0))
    assert mill.exceptions.count() == 2


def test_closures_of_another_machine_do_not_clash(mill, workshop_bob):
    CapacityExceptionFactory(
        machine=MachineFactory(workshop=mill.workshop), starts_at=at(0, 0), ends_at=at(3, 0)
    )
    capacity_exception_add(user=workshop_bob, machine=mill, starts_at=at(1, 0), ends_at=at(2, 0))


def test_a_closure_ending_before_it_starts_is_refused(mill, workshop_bob):
    with pytest.raises(InvalidCapacity, match="must start before it ends"):
        capacity_exception_add(
            user=workshop_bob, machine=mill, starts_at=at(1, 0), ends_at=at(1, 0)
        )
    assert not CapacityException.objects.exists()


def test_another_workshop_cannot_close_the_machine(mill, workshop_charlie):
    with pytest.raises(PermissionDenied):
        capacity_exception_add(
            user=workshop_charlie, machine=mill, starts_at=at(1, 0), ends_at=at(2, 0)
        )


# Bookings (SQLite here; the race on PostgreSQL is in tests/services/test_capacity_race.py)


def test_a_booking_that_exactly_fills_an_opening_is_accepted(mill):
    booking = capacity_book(machine=mill, starts_at=at(0, 8), ends_at=at(0, 16), reference="job-1")
    assert CapacityBooking.objects.get() == booking


def test_back_to_back_bookings_are_both_accepted(mill):
    capacity_book(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10), reference="a")
    capacity_book(machine=mill, starts_at=at(0, 10), ends_at=at(0, 12), reference="b")
    assert mill.bookings.count() == 2


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [(at(0, 7), at(0, 9)), (at(0, 15), at(0, 17)), (at(5, 9), at(5, 10)), (at(0, 8), at(1, 16))],
    ids=["before-opening", "after-closing", "saturday", "overnight"],
)
def test_a_booking_outside_opening_hours_is_refused(mill, starts_at, ends_at):
    with pytest.raises(CapacityUnavailable, match="is not open for the whole of"):
        capacity_book(machine=mill, starts_at=starts_at, ends_at=ends_at, reference="x")
    assert not CapacityBooking.objects.exists()


def test_a_booking_during_a_closure_is_refused(mill):
    CapacityExceptionFactory(machine=mill, starts_at=at(1, 0), ends_at=at(2, 0))
    with pytest.raises(CapacityUnavailable, match="is not open for the whole of"):
        capacity_book(machine=mill, starts_at=at(1, 14), ends_at=at(1, 15), reference="x")
    assert not CapacityBooking.objects.exists()


def test_an_overlapping_booking_is_refused_saying_when_the_machine_is_booked(mill):
    capacity_book(machine=mill, starts_at=at(0, 9), ends_at=at(0, 12), reference="a")
    with pytest.raises(CapacityUnavailable) as error:
        capacity_book(machine=mill, starts_at=at(0, 11), ends_at=at(0, 13), reference="b")
    assert error.value.message == (
        f"Haas VF-2 is already booked from {at(0, 9):%Y-%m-%d} 09:00 to 12:00 UTC."
    )
    assert error.value.status_code == 409
    assert list(mill.bookings.values_list("reference", flat=True)) == ["a"]


@pytest.mark.parametrize("status", [Machine.Status.DOWN, Machine.Status.MAINTENANCE])
def test_a_machine_that_is_not_available_cannot_be_booked(mill, status):
    Machine.objects.filter(pk=mill.pk).update(status=status)
    with pytest.raises(CapacityUnavailable, match=f"Haas VF-2 is {status.label.lower()}"):
        capacity_book(machine=mill, starts_at=at(0, 8), ends_at=at(0, 9), reference="x")
    assert not CapacityBooking.objects.exists()


def test_a_booking_ending_before_it_starts_is_refused(mill):
    with pytest.raises(InvalidCapacity, match="must start before it ends"):
        capacity_book(machine=mill, starts_at=at(0, 9), ends_at=at(0, 9), reference="x")


# Status and the machine_unavailable signal


@pytest.fixture
def unavailable_events():
    events = []

    def receiver(sender, **kwargs):
        events.append(kwargs)

    machine_unavailable.connect(receiver, dispatch_uid="test-receiver")
    yield events
    machine_unavailable.disconnect(dispatch_uid="test-receiver")


def test_a_machine_going_down_tells_the_matcher_after_commit_which_future_bookings_are_hit(
    mill, workshop_bob, unavailable_events, django_capture_on_commit_callbacks
):
    now = timezone.now()
    CapacityBookingFactory(
        machine=mill, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2, hours=-1)
    )
    running = CapacityBookingFactory(
        machine=mill, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    ahead = CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10))
    CapacityBookingFactory(machine=MachineFactory(), starts_at=at(0, 8), ends_at=at(0, 10))

    with django_capture_on_commit_callbacks(execute=True):
        machine_status_set(
            user=workshop_bob, machine=mill, status=Machine.Status.DOWN, note="spindle"
        )
        assert unavailable_events == [], "the signal must wait for the commit"

    assert len(unavailable_events) == 1
    event = unavailable_events[0]
    assert event["machine"].pk == mill.pk
    assert event["status"] == Machine.Status.DOWN
    assert event["until"] is None
    assert {b.pk for b in event["affected_bookings"]} == {running.pk, ahead.pk}


def test_maintenance_until_a_time_lists_only_the_bookings_before_it(
    mill, workshop_bob, unavailable_events, django_capture_on_commit_callbacks
):
    before = CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10))
    CapacityBookingFactory(machine=mill, starts_at=at(2, 8), ends_at=at(2, 10))
    with django_capture_on_commit_callbacks(execute=True):
        machine_status_set(
            user=workshop_bob, machine=mill, status=Machine.Status.MAINTENANCE, until=at(1, 0)
        )
    assert [b.pk for b in unavailable_events[0]["affected_bookings"]] == [before.pk]
    assert unavailable_events[0]["until"] == at(1, 0)
    mill.refresh_from_db()
    assert mill.status_until == at(1, 0)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Machine.Status.DOWN, Machine.Status.DOWN),
        (Machine.Status.DOWN, Machine.Status.MAINTENANCE),
        (Machine.Status.AVAILABLE, Machine.Status.AVAILABLE),
    ],
)
def test_no_event_when_the_machine_was_already_unavailable_or_stays_available(
    mill, workshop_bob, unavailable_events, django_capture_on_commit_callbacks, first, second
):
    CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10))
    Machine.objects.filter(pk=mill.pk).update(status=first)
    with django_capture_on_commit_callbacks(execute=True):
        machine_status_set(user=workshop_bob, machine=mill, status=second, note="again")
    assert unavailable_events == []


def test_the_status_history_records_every_change_with_who_and_why(mill, workshop_bob):
    machine_status_set(
        user=workshop_bob, machine=mill, status="maintenance", note=" oil ", until=at(1, 0)
    )
    machine_status_set(user=None, machine=mill, status="available")
    history = list(
        MachineStatusChange.objects.filter(machine=mill)
        .order_by("pk")
        .values_list("previous_status", "status", "note", "until", "changed_by")
    )
    assert history == [
        ("available", "maintenance", "oil", at(1, 0), workshop_bob.pk),
        ("maintenance", "available", "", None, None),
    ]
    mill.refresh_from_db()
    assert (mill.status, mill.status_until) == ("available", None)


def test_until_in_the_past_is_refused_and_nothing_changes(mill, workshop_bob):
    with pytest.raises(InvalidMachine, match="'until' must lie in the future"):
        machine_status_set(
            user=workshop_bob,
            machine=mill,
            status="maintenance",
            until=timezone.now() - timedelta(minutes=1),
        )
    mill.refresh_from_db()
    assert mill.status == Machine.Status.AVAILABLE
    assert not MachineStatusChange.objects.exists()


def test_an_unknown_status_is_refused_naming_the_allowed_ones(mill, workshop_bob):
    with pytest.raises(InvalidMachine, match="Unknown status 'broken': use one of available"):
        machine_status_set(user=workshop_bob, machine=mill, status="broken")


def test_another_workshop_cannot_set_the_status(mill, workshop_charlie):
    with pytest.raises(PermissionDenied):
        machine_status_set(user=workshop_charlie, machine=mill, status="down")
    mill.refresh_from_db()
    assert mill.status == Machine.Status.AVAILABLE


# Workshop profile and verification


def test_a_new_workshop_profile_waits_for_verification(db):
    owner = UserFactory()
    organization = MembershipFactory(
        user=owner, organization__kind=Organization.Kind.WORKSHOP
    ).organization
    workshop = workshop_profile_save(
        user=owner,
        organization=organization,
        profile=WorkshopProfile(
            description="",
            address=" Hauptstr. 1 ",
            city="Ulm",
            country="de",
            latitude=48.4,
            longitude=9.99,
            min_lead_time_hours=12,
        ),
    )
    assert workshop.verification_status == Workshop.Verification.PENDING
    assert (workshop.country, workshop.address) == ("DE", "Hauptstr. 1")


def test_a_customer_organization_has_no_workshop_profile(customer_alice):
    with pytest.raises(PermissionDenied, match="Only workshop organizations"):
        workshop_profile_save(
            user=customer_alice,
            organization=customer_alice.memberships.get().organization,
            profile=WorkshopProfile("", "", "Ulm", "DE", 48.4, 9.99, 12),
        )
    assert not Workshop.objects.exists()


def test_an_operator_verifies_a_workshop(operator_olga):
    workshop = WorkshopFactory(verification_status=Workshop.Verification.PENDING)
    workshop_verify(user=operator_olga, workshop=workshop, status="verified")
    workshop.refresh_from_db()
    assert workshop.is_verified
    assert workshop.verified_at is not None


def test_rejecting_a_workshop_needs_a_reason(operator_olga):
    workshop = WorkshopFactory(verification_status=Workshop.Verification.PENDING)
    with pytest.raises(DomainError, match="Say why") as error:
        workshop_verify(user=operator_olga, workshop=workshop, status="rejected")
    assert error.value.code == "note_required"
    workshop.refresh_from_db()
    assert workshop.verification_status == Workshop.Verification.PENDING


def test_a_workshop_cannot_verify_itself(workshop_bob):
    workshop = workshop_of(workshop_bob)
    Workshop.objects.filter(pk=workshop.pk).update(verification_status="pending")
    with pytest.raises(PermissionDenied, match="Only platform operators"):
        workshop_verify(user=workshop_bob, workshop=workshop, status="verified")
    workshop.refresh_from_db()
    assert workshop.verification_status == "pending"


def test_an_unverified_workshop_is_offered_nothing_and_is_told_why(mill, workshop_bob):
    workshop = workshop_of(workshop_bob)
    Workshop.objects.filter(pk=workshop.pk).update(verification_status="pending")
    workshop.refresh_from_db()
    offered = offered_to_matcher(workshop=workshop)
    assert offered["machines"] == []
    assert offered["free_hours"] == 0
    assert (
        "The workshop is not verified yet, so the matcher offers it no jobs."
        in (offered["reasons"])
    )


def test_a_verified_workshop_offers_its_open_available_machines(mill, workshop_bob):
    MachineFactory(workshop=mill.workshop, name="Idle lathe")
    MachineFactory(workshop=mill.workshop, name="Broken saw", status=Machine.Status.DOWN)
    offered = offered_to_matcher(workshop=workshop_of(workshop_bob))
    assert [machine.name for machine, _ in offered["machines"]] == ["Haas VF-2"]
    assert offered["free_hours"] > 0
    assert offered["reasons"] == ["Broken saw is down.", "Idle lathe has no opening hours."]


# Browsing the network


@pytest.fixture
def network():
    """Three verified workshops and one pending, with different machines and certificates."""
    cnc = ProcessFactory()
    sls = ProcessFactory(code="sls", name="SLS printing", additive=True)
    alu = MaterialFactory(code="alu", processes=[cnc])
    pa12 = MaterialFactory(code="pa12", processes=[sls])
    iso = CertificationFactory(code="iso-9001")
    stuttgart = WorkshopFactory(organization__name="Stuttgart", country="DE")
    stuttgart.certifications.add(iso)
    big = MachineFactory(
        workshop=stuttgart, process=cnc, envelope_x_mm=1000, envelope_y_mm=800, envelope_z_mm=600
    )
    big.materials.add(alu)
    lyon = WorkshopFactory(organization__name="Lyon", country="FR", city="Lyon")
    printer = MachineFactory(
        workshop=lyon, process=sls, envelope_x_mm=340, envelope_y_mm=340, envelope_z_mm=600
    )
    printer.materials.add(pa12)
    delft = WorkshopFactory(organization__name="Delft", country="NL", city="Delft")
    small = MachineFactory(workshop=delft, process=cnc)
    small.materials.add(alu)
    pending = WorkshopFactory(organization__name="Pending", verification_status="pending")
    MachineFactory(workshop=pending, process=cnc).materials.add(alu)
    return {"cnc": cnc, "sls": sls}


def names(filters: NetworkFilter) -> list[str]:
    return sorted(str(w) for w in workshops_for_network(filters=filters))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (NetworkFilter(), ["Delft", "Lyon", "Stuttgart"]),
        (NetworkFilter(process="cnc-3axis"), ["Delft", "Stuttgart"]),
        (NetworkFilter(process="sls"), ["Lyon"]),
        (NetworkFilter(material="pa12"), ["Lyon"]),
        (NetworkFilter(material="alu"), ["Delft", "Stuttgart"]),
        (NetworkFilter(country="nl"), ["Delft"]),
        (NetworkFilter(certification="iso-9001"), ["Stuttgart"]),
        (NetworkFilter(envelope_mm=(600, 400, 300)), ["Stuttgart"]),
        (NetworkFilter(envelope_mm=(1, 1, 550)), ["Lyon", "Stuttgart"]),
        (NetworkFilter(process="sls", material="alu"), []),
        (NetworkFilter(process="cnc-3axis", envelope_mm=(1, 1, 550)), ["Stuttgart"]),
    ],
)
def test_each_network_filter_narrows_the_verified_workshops(network, filters, expected):
    assert names(filters) == expected


def test_a_workshop_matching_through_several_machines_is_listed_once(network):
    stuttgart = Workshop.objects.get(organization__name="Stuttgart")
    MachineFactory(workshop=stuttgart, process=network["cnc"])
    listed = list(workshops_for_network(filters=NetworkFilter(process="cnc-3axis")))
    assert sorted(str(w) for w in listed) == ["Delft", "Stuttgart"]
    assert next(w for w in listed if str(w) == "Stuttgart").machine_count == 2


def test_the_free_hours_of_a_closed_machine_subtract_the_closure(mill):
    CapacityExceptionFactory(machine=mill, starts_at=at(0, 0), ends_at=at(1, 0))
    hours = machine_free_hours(machines=[mill], start=MONDAY, end=at(7, 0))
    assert hours == {mill.pk: 32.0}


def test_the_network_lists_workshops_by_name(network):
    listed = workshops_for_network()
    assert listed.ordered
    assert [str(w) for w in listed] == ["Delft", "Lyon", "Stuttgart"]


@pytest.mark.parametrize("verification", ["pending", "suspended"])
def test_a_machine_of_an_unverified_workshop_cannot_be_booked(mill, verification):
    Workshop.objects.filter(pk=mill.workshop_id).update(verification_status=verification)
    with pytest.raises(CapacityUnavailable, match="not verified"):
        capacity_book(machine=mill, starts_at=at(0, 8), ends_at=at(0, 9), reference="x")
    assert not CapacityBooking.objects.exists()
