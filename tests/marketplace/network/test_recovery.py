"""Machines come back, closures and shorter hours over bookings are refused or re-planned,
workshops have a time zone, and the calendar does not offer the past."""

from datetime import time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.errors import DomainError, InvalidCapacity
from marketplace.network import services
from marketplace.network.models import Machine
from marketplace.network.selectors import machine_capacity
from marketplace.network.signals import machine_available, machine_unavailable
from marketplace.orders.housekeeping import orders_housekeeping
from tests.factories import CapacityBookingFactory, MachineFactory
from tests.helpers import at, workshop_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """What the two machine signals carried."""
    calls = {"available": [], "unavailable": []}

    def up(sender, **kw):
        calls["available"].append(kw)

    def down(sender, **kw):
        calls["unavailable"].append(kw)

    machine_available.connect(up, dispatch_uid="test-up")
    machine_unavailable.connect(down, dispatch_uid="test-down")
    yield calls
    machine_available.disconnect(dispatch_uid="test-up")
    machine_unavailable.disconnect(dispatch_uid="test-down")


@pytest.fixture
def utc_workshop(workshop_bob):
    """Bob's workshop with its hours in UTC, so that the times below read as written."""
    workshop = workshop_of(workshop_bob)
    workshop.timezone = "UTC"
    workshop.save(update_fields=["timezone"])
    return workshop


@pytest.fixture
def mill(utc_workshop):
    return MachineFactory(workshop=utc_workshop, open_on=range(5))


def test_housekeeping_sets_a_machine_back_once_its_maintenance_ended(
    mill, workshop_bob, sent, django_capture_on_commit_callbacks
):
    until = timezone.now() + timedelta(hours=2)
    services.machine_status_set(user=workshop_bob, machine=mill, status="maintenance", until=until)
    assert orders_housekeeping()["recovered"] == 0
    with (
        time_machine.travel(until + timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert orders_housekeeping()["recovered"] == 1
    mill.refresh_from_db()
    assert (mill.status, mill.status_until) == ("available", None)
    assert "announced end" in mill.status_changes.first().note
    assert [c["machine"].pk for c in sent["available"]] == [mill.pk]
    assert sent["available"][0]["previous_status"] == "maintenance"


def test_a_machine_down_without_an_end_stays_down(mill, workshop_bob):
    services.machine_status_set(user=workshop_bob, machine=mill, status="down")
    assert services.machines_recover(now=timezone.now() + timedelta(days=30)) == []
    mill.refresh_from_db()
    assert mill.status == "down"


def test_a_closure_over_a_booking_is_refused_naming_it(mill, workshop_bob, sent):
    CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10), reference="ORD-7")
    with pytest.raises(InvalidCapacity) as raised:
        services.capacity_exception_add(
            user=workshop_bob, machine=mill, starts_at=at(0, 0), ends_at=at(1, 0)
        )
    assert raised.value.code == "bookings_covered"
    assert "ORD-7" in raised.value.message
    assert not mill.exceptions.exists()
    assert sent["unavailable"] == []


def test_a_forced_closure_over_a_booking_hands_it_to_replanning(
    mill, workshop_bob, sent, django_capture_on_commit_callbacks
):
    booking = CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10))
    CapacityBookingFactory(machine=mill, starts_at=at(3, 8), ends_at=at(3, 10))
    with django_capture_on_commit_callbacks(execute=True):
        services.capacity_exception_add(
            user=workshop_bob, machine=mill, starts_at=at(0, 0), ends_at=at(1, 0), force=True
        )
    assert mill.exceptions.count() == 1
    (call,) = sent["unavailable"]
    assert [b.pk for b in call["affected_bookings"]] == [booking.pk]
    # The machine cannot run for the closure, not from now on: its start and end go along.
    assert (call["starts_at"], call["until"]) == (at(0, 0), at(1, 0))
    assert call["status"] == "available"


def test_shorter_hours_over_a_booking_are_refused_unless_forced(
    mill, workshop_bob, sent, django_capture_on_commit_callbacks
):
    CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10), reference="ORD-9")
    with pytest.raises(InvalidCapacity, match="ORD-9"):
        services.weekly_hours_set(user=workshop_bob, machine=mill, slots=[(0, time(9), time(17))])
    services.weekly_hours_set(user=workshop_bob, machine=mill, slots=[(0, time(6), time(17))])
    assert sent["unavailable"] == []
    with django_capture_on_commit_callbacks(execute=True):
        services.weekly_hours_set(
            user=workshop_bob, machine=mill, slots=[(1, time(9), time(17))], force=True
        )
    assert len(sent["unavailable"][0]["affected_bookings"]) == 1


def test_a_workshop_takes_its_countrys_zone_unless_it_names_one(workshop_bob):
    organization = workshop_of(workshop_bob).organization
    profile = services.WorkshopProfile(
        description="",
        address="",
        city="Eindhoven",
        country="nl",
        latitude=51.44,
        longitude=5.47,
        min_lead_time_hours=24,
    )
    workshop = services.workshop_profile_save(
        user=workshop_bob, organization=organization, profile=profile
    )
    assert workshop.timezone == "Europe/Amsterdam"
    with pytest.raises(DomainError, match="not a time zone"):
        services.workshop_profile_save(
            user=workshop_bob,
            organization=organization,
            profile=services.WorkshopProfile(**{**profile.__dict__, "timezone": "Mars/Base"}),
        )
    workshop.timezone = "Nowhere/Land"
    with pytest.raises(ValidationError):
        workshop.full_clean()


def test_the_calendar_does_not_count_past_hours_as_free(utc_workshop):
    machine = MachineFactory(
        workshop=utc_workshop,
        open_on=range(7),
        open_on__start_time=time(8),
        open_on__end_time=time(16),
    )
    with time_machine.travel(at(0, 12), tick=False):
        week = machine_capacity(machine=machine, start=at(0, 0), end=at(1, 0))
    assert week["open_hours"] == 8
    assert week["free_hours"] == 4
    assert week["free"] == [(at(0, 12), at(0, 16))]
    assert Machine.objects.get(pk=machine.pk).status == "available"
