"""Booking races on the real PostgreSQL: one machine slot is never sold twice."""

import itertools
from datetime import datetime

import pytest
from django.db import IntegrityError, transaction

from marketplace.errors import CapacityUnavailable
from marketplace.network.models import CapacityBooking
from marketplace.network.services import capacity_book
from tests import helpers
from tests.factories import CapacityBookingFactory, MachineFactory, WeeklyAvailabilityFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 12


def at(hour: int, minute: int = 0) -> datetime:
    """A time on next Monday."""
    return helpers.at(0, hour, minute)


@pytest.fixture
def machine(postgres):
    machine = MachineFactory(name="Haas VF-2")
    WeeklyAvailabilityFactory(machine=machine, weekday=0, start_time="06:00", end_time="22:00")
    return machine


def _book(machine, starts_at, ends_at, reference):
    return lambda: capacity_book(
        machine=machine, starts_at=starts_at, ends_at=ends_at, reference=reference
    )


def test_many_threads_booking_the_same_slot_at_once_get_exactly_one_booking(machine):
    outcomes = in_parallel(*[_book(machine, at(9), at(11), f"job-{n}") for n in range(THREADS)])
    won = [o for o in outcomes if isinstance(o, CapacityBooking)]
    lost = [o for o in outcomes if isinstance(o, CapacityUnavailable)]
    assert len(won) == 1
    assert len(lost) == THREADS - 1, [o for o in outcomes if not isinstance(o, CapacityBooking)]
    assert all("Haas VF-2" in error.message for error in lost)
    assert list(CapacityBooking.objects.values_list("reference", flat=True)) == [won[0].reference]


def test_threads_booking_staggered_overlapping_slots_never_overlap(machine):
    # Each request overlaps its neighbours by half; the survivors must not touch each other.
    calls = [_book(machine, at(8, 30 * n), at(9, 30 * n), f"job-{n}") for n in range(THREADS)]
    in_parallel(*calls)
    bookings = list(CapacityBooking.objects.filter(machine=machine).order_by("starts_at"))
    assert bookings
    for earlier, later in itertools.pairwise(bookings):
        assert earlier.ends_at <= later.starts_at


def test_the_exclusion_constraint_alone_refuses_an_overlapping_insert(machine):
    CapacityBookingFactory(machine=machine, starts_at=at(9), ends_at=at(11))
    with (
        pytest.raises(IntegrityError, match="capacity_booking_no_overlap"),
        transaction.atomic(),
    ):
        CapacityBooking.objects.create(
            machine=machine, starts_at=at(10), ends_at=at(12), reference="sneaky"
        )
    # Touching is not overlapping ('[)' ranges), and another machine is free at that time.
    CapacityBooking.objects.create(machine=machine, starts_at=at(11), ends_at=at(12), reference="b")
    CapacityBooking.objects.create(
        machine=MachineFactory(), starts_at=at(9), ends_at=at(11), reference="elsewhere"
    )
    assert CapacityBooking.objects.count() == 3
