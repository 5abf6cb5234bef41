"""Weekly hours are the workshop's wall-clock hours everywhere capacity is read: quoting (the
snapshot), booking acceptance, changes of hours and the week calendar."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from marketplace.errors import CapacityUnavailable, InvalidCapacity
from marketplace.network import services
from marketplace.network.models import CapacityBooking
from marketplace.network.selectors import machine_capacity, week_calendar
from marketplace.network.signals import machine_unavailable
from marketplace.network.snapshot import network_snapshot
from tests.factories import CapacityBookingFactory, MachineFactory
from tests.helpers import workshop_of

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def berlin_mill(workshop_bob):
    """Bob's mill in Stuttgart (Europe/Berlin), open 08:00-16:00 local every day."""
    workshop = workshop_of(workshop_bob)
    assert workshop.timezone == "Europe/Berlin"
    return MachineFactory(
        workshop=workshop,
        name="Hermle C42",
        open_on=range(7),
        open_on__start_time=time(8),
        open_on__end_time=time(16),
    )


def test_the_same_weekly_hours_are_other_utc_hours_in_january_and_july(berlin_mill):
    january = machine_capacity(machine=berlin_mill, start=utc(2030, 1, 7), end=utc(2030, 1, 8))
    july = machine_capacity(machine=berlin_mill, start=utc(2030, 7, 1), end=utc(2030, 7, 2))
    assert january["opening"] == [(utc(2030, 1, 7, 7), utc(2030, 1, 7, 15))]
    assert july["opening"] == [(utc(2030, 7, 1, 6), utc(2030, 7, 1, 14))]


def test_the_snapshot_offers_local_hours_to_quoting(berlin_mill):
    """The windows quoting and re-planning solve over are minutes from the origin."""
    for origin, opens_utc in ((utc(2030, 1, 7), 7), (utc(2030, 7, 1), 6)):
        snapshot = network_snapshot(origin=origin, horizon_days=1, now=origin - timedelta(days=2))
        (spec,) = [m for m in snapshot.machines if m.id == str(berlin_mill.pk)]
        assert spec.windows == ((opens_utc * 60, (opens_utc + 8) * 60),)


def test_the_snapshot_of_the_spring_change_week_follows_the_clock(berlin_mill):
    # Clocks go forward on Sunday 2027-03-28: 08:00 local is 07:00 UTC before, 06:00 after.
    origin = utc(2027, 3, 26)  # a Friday
    snapshot = network_snapshot(origin=origin, horizon_days=4, now=origin - timedelta(days=2))
    (spec,) = [m for m in snapshot.machines if m.id == str(berlin_mill.pk)]
    day = 24 * 60
    assert spec.windows == (
        (7 * 60, 15 * 60),  # Friday, CET
        (day + 7 * 60, day + 15 * 60),  # Saturday, CET
        (2 * day + 6 * 60, 2 * day + 14 * 60),  # Sunday, CEST from 03:00
        (3 * day + 6 * 60, 3 * day + 14 * 60),  # Monday
    )


@pytest.fixture
def early_mill(workshop_bob):
    """Open 07:00-17:00 local on weekdays."""
    return MachineFactory(
        workshop=workshop_of(workshop_bob),
        open_on=range(5),
        open_on__start_time=time(7),
        open_on__end_time=time(17),
    )


def test_a_booking_at_half_past_seven_local_is_accepted_and_at_half_past_six_refused(early_mill):
    # Monday 2030-01-07, CET: 07:30 local is 06:30 UTC, 06:30 local is 05:30 UTC.
    services.capacity_book(
        machine=early_mill,
        starts_at=utc(2030, 1, 7, 6, 30),
        ends_at=utc(2030, 1, 7, 8, 30),
        reference="local-0730",
    )
    with pytest.raises(CapacityUnavailable, match="is not open for the whole of"):
        services.capacity_book(
            machine=early_mill,
            starts_at=utc(2030, 1, 8, 5, 30),
            ends_at=utc(2030, 1, 8, 6, 30),
            reference="local-0630",
        )
    assert list(CapacityBooking.objects.values_list("reference", flat=True)) == ["local-0730"]


def test_a_utc_time_refused_in_winter_is_accepted_in_summer(early_mill):
    # 05:30 UTC is 06:30 local in January (closed) and 07:30 local in July (open).
    with pytest.raises(CapacityUnavailable):
        services.capacity_book(
            machine=early_mill,
            starts_at=utc(2030, 1, 7, 5, 30),
            ends_at=utc(2030, 1, 7, 6, 30),
            reference="winter",
        )
    services.capacity_book(
        machine=early_mill,
        starts_at=utc(2030, 7, 1, 5, 30),
        ends_at=utc(2030, 7, 1, 6, 30),
        reference="summer",
    )
    assert CapacityBooking.objects.get().reference == "summer"


def test_shorter_local_hours_over_a_booking_are_refused_by_the_local_clock(
    early_mill, workshop_bob
):
    # Booked 07:00-08:00 local (06:00-07:00 UTC) on Monday 2030-01-07.
    CapacityBookingFactory(
        machine=early_mill,
        starts_at=utc(2030, 1, 7, 6),
        ends_at=utc(2030, 1, 7, 7),
        reference="ORD-LOCAL",
    )
    # 07:00-17:00 local still covers it, though 07:00 local is not 07:00 UTC.
    services.weekly_hours_set(user=workshop_bob, machine=early_mill, slots=[(0, time(7), time(17))])
    with pytest.raises(InvalidCapacity, match="ORD-LOCAL"):
        services.weekly_hours_set(
            user=workshop_bob, machine=early_mill, slots=[(0, time(8), time(17))]
        )


# The week calendar


def test_the_calendar_lays_out_local_days_and_hides_hours_gone_by(berlin_mill):
    # Wednesday 2030-01-09, 12:00 in Berlin (11:00 UTC).
    with time_machine.travel(utc(2030, 1, 9, 11), tick=False):
        week = week_calendar(machine=berlin_mill, week_of=datetime(2030, 1, 9).date())
    assert week["week_start"] == utc(2030, 1, 6, 23)  # Monday 00:00 in Berlin
    assert week["open_hours"] == 7 * 8
    assert week["free_hours"] == 4 + 4 * 8  # Wednesday afternoon, Thursday to Sunday
    monday, _tuesday, wednesday, thursday = week["days"][:4]
    assert [(b["kind"], b["top"], b["height"]) for b in monday["blocks"]] == [("past", 8, 8)]
    assert [(b["kind"], b["top"], b["height"]) for b in wednesday["blocks"]] == [
        ("past", 8, 4),
        ("open", 12, 4),
    ]
    assert [(b["kind"], b["top"], b["height"]) for b in thursday["blocks"]] == [("open", 8, 8)]


def test_the_calendar_of_the_autumn_change_week_keeps_the_local_clock(berlin_mill):
    # Clocks go back on Sunday 2027-10-31; every day is open 08:00-16:00 on the wall clock.
    with time_machine.travel(utc(2027, 10, 1), tick=False):
        week = week_calendar(machine=berlin_mill, week_of=datetime(2027, 10, 31).date())
    assert [[(b["top"], b["height"]) for b in day["blocks"]] for day in week["days"]] == [
        [(8, 8)]
    ] * 7
    sunday = week["days"][6]["blocks"][0]
    assert (sunday["starts_at"], sunday["ends_at"]) == (utc(2027, 10, 31, 7), utc(2027, 10, 31, 15))
    assert week["free_hours"] == 56


def open_blocks(page: str, kind: str) -> list[str]:
    return re.findall(rf'class="block block-{kind}"[^>]*>\s*<span>([^<]*)</span>', page)


def test_the_calendar_page_shows_local_times_and_counts_only_hours_to_come(
    client, workshop_bob, berlin_mill
):
    CapacityBookingFactory(
        machine=berlin_mill, starts_at=utc(2030, 1, 10, 8), ends_at=utc(2030, 1, 10, 10)
    )
    with time_machine.travel(utc(2030, 1, 9, 11), tick=False):
        client.force_login(workshop_bob)  # a session from today would have expired by 2030
        response = client.get(reverse("machine_capacity", args=[berlin_mill.pk]))
    page = response.content.decode()
    assert open_blocks(page, "open") == ["12:00\N{EN DASH}16:00"] + ["08:00\N{EN DASH}16:00"] * 4
    assert open_blocks(page, "past") == ["past"] * 3
    assert '<strong data-testid="free-hours">34 h free</strong>' in page
    assert "Europe/Berlin" in page
    # Thursday's booking, 09:00-11:00 in Berlin, sits 9 hours down its column.
    assert "top: calc(9.0000 / 24 * 100%); height: calc(2.0000 / 24 * 100%)" in page


def test_a_closure_typed_on_the_page_is_read_in_local_time(client, workshop_bob, berlin_mill):
    client.force_login(workshop_bob)
    client.post(
        reverse("capacity_exception_add", args=[berlin_mill.pk]),
        {"starts_at": "2030-01-07T08:00", "ends_at": "2030-01-07T12:00", "kind": "maintenance"},
    )
    closure = berlin_mill.exceptions.get()
    assert (closure.starts_at, closure.ends_at) == (utc(2030, 1, 7, 7), utc(2030, 1, 7, 11))


# Forced closures ahead


def test_a_forced_closure_next_month_blocks_only_from_its_start(
    berlin_mill, workshop_bob, django_capture_on_commit_callbacks
):
    sent = []

    def listen(sender, **kw):
        sent.append(kw)

    machine_unavailable.connect(listen, dispatch_uid="test-forced-closure-ahead")
    try:
        with time_machine.travel(utc(2030, 1, 7, 6), tick=False):
            booking = CapacityBookingFactory(
                machine=berlin_mill, starts_at=utc(2030, 2, 4, 8), ends_at=utc(2030, 2, 4, 10)
            )
            with django_capture_on_commit_callbacks(execute=True):
                services.capacity_exception_add(
                    user=workshop_bob,
                    machine=berlin_mill,
                    starts_at=utc(2030, 2, 4),
                    ends_at=utc(2030, 2, 5),
                    force=True,
                )
            origin = utc(2030, 1, 14)
            snapshot = network_snapshot(origin=origin, horizon_days=28, now=utc(2030, 1, 7, 6))
    finally:
        machine_unavailable.disconnect(dispatch_uid="test-forced-closure-ahead")
    (call,) = sent
    assert (call["starts_at"], call["until"]) == (utc(2030, 2, 4), utc(2030, 2, 5))
    assert [b.pk for b in call["affected_bookings"]] == [booking.pk]
    berlin_mill.refresh_from_db()
    assert berlin_mill.status == "available"
    # Still offered to quoting every day until the closure, and again after it.
    (spec,) = [m for m in snapshot.machines if m.id == str(berlin_mill.pk)]
    closure_from = int((utc(2030, 2, 4) - origin).total_seconds()) // 60
    closure_to = closure_from + 24 * 60
    assert len(spec.windows) == 27  # 28 days, one of them closed
    assert all(hi <= closure_from or lo >= closure_to for lo, hi in spec.windows)
