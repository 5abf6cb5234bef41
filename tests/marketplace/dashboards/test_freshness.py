"""Cached pages never show stale figures: after any sequence of changes to machines, workshops,
orders and bookings, the cached network listing, network summary and operator console figures
equal a fresh computation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from marketplace.dashboards.freshness import console_figures, console_figures_cached
from marketplace.network import page_cache, selectors, services
from marketplace.network.models import CapacityBooking, Machine, WeeklyAvailability, Workshop
from marketplace.orders.models import Order
from tests.factories import (
    CapacityBookingFactory,
    CertificationFactory,
    MachineFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WeeklyAvailabilityFactory,
    WorkshopFactory,
)
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 6, 2, 20, 0, tzinfo=UTC)  # a Sunday night: four whole weeks ahead
VERIFICATIONS = list(Workshop.Verification.values)
MACHINE_STATUSES = list(Machine.Status.values)
ORDER_STATUSES = ["paid", "in_production", "completed", "disputed", "cancelled"]
FILTERS = [selectors.NetworkFilter(), selectors.NetworkFilter(country="DE")]


def pick(queryset, n: int):
    rows = list(queryset.order_by("pk"))
    return rows[n % len(rows)] if rows else None


def workshop_add(n: int) -> None:
    workshop = WorkshopFactory(
        verification_status=VERIFICATIONS[n % len(VERIFICATIONS)],
        country="DE" if n % 2 else "NL",
        city=f"City {n}",
    )
    MachineFactory(workshop=workshop, open_on=[n % 7])


def workshop_verify(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        workshop.verification_status = VERIFICATIONS[n % len(VERIFICATIONS)]
        workshop.save()


def workshop_rename(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        workshop.organization.name = f"Renamed {n}"
        workshop.organization.save()


def workshop_delete(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        CapacityBooking.all_objects.filter(machine__workshop=workshop).delete()
        workshop.delete()


def workshop_certify(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        workshop.certifications.add(CertificationFactory(code=f"cert-{n % 3}"))


def workshop_uncertify(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        workshop.certifications.clear()


def machine_add(n: int) -> None:
    if workshop := pick(Workshop.objects.all(), n):
        MachineFactory(workshop=workshop, open_on=[n % 7, (n + 3) % 7])


def machine_status(n: int) -> None:
    if machine := pick(Machine.objects.all(), n):
        machine.status = MACHINE_STATUSES[n % len(MACHINE_STATUSES)]
        machine.save()


def machine_delete(n: int) -> None:
    if machine := pick(Machine.objects.all(), n):
        CapacityBooking.all_objects.filter(machine=machine).delete()
        machine.delete()


def hours_add(n: int) -> None:
    if machine := pick(Machine.objects.all(), n):
        WeeklyAvailabilityFactory(
            machine=machine, weekday=n % 7, start_time="17:00", end_time="20:00"
        )


def hours_remove(n: int) -> None:
    if row := pick(WeeklyAvailability.objects.all(), n):
        row.delete()


def hours_set_by_member(n: int) -> None:
    """Through the service, which writes the hours in bulk (no signal per row)."""
    if machine := pick(Machine.objects.select_related("workshop"), n):
        user = UserFactory()
        MembershipFactory(user=user, organization=machine.workshop.organization)
        slots = [(day, time(6), time(6 + n % 12 + 1)) for day in range(n % 6 + 1)]
        services.weekly_hours_set(user=user, machine=machine, slots=slots, force=True)


def booking_add(n: int) -> None:
    if machine := pick(Machine.objects.all(), n):
        start = NOW + timedelta(hours=1 + 3 * (n % 200) + machine.pk % 3)
        CapacityBookingFactory(machine=machine, starts_at=start, ends_at=start + timedelta(hours=2))


def booking_delete(n: int) -> None:
    if booking := pick(CapacityBooking.all_objects.all(), n):
        booking.delete()


def order_add(n: int) -> None:
    status = ORDER_STATUSES[n % len(ORDER_STATUSES)]
    order = OrderFactory(status=status)
    if status == "completed":
        order.delivered_at = order.promised_delivery_at + timedelta(days=n % 3 - 1)
        order.save()


def order_status(n: int) -> None:
    if order := pick(Order.objects.all(), n):
        order.status = ORDER_STATUSES[n % len(ORDER_STATUSES)]
        order.delivered_at = order.promised_delivery_at if order.status == "completed" else None
        order.save()


def order_delete(n: int) -> None:
    if order := pick(Order.objects.all(), n):
        order.delete()


def organization_add(n: int) -> None:
    OrganizationFactory(kind=list(Organization.Kind)[n % len(Organization.Kind)])


CHANGES = [
    workshop_add,
    workshop_verify,
    workshop_rename,
    workshop_delete,
    workshop_certify,
    workshop_uncertify,
    machine_add,
    machine_status,
    machine_delete,
    hours_add,
    hours_remove,
    hours_set_by_member,
    booking_add,
    booking_delete,
    order_add,
    order_status,
    order_delete,
    organization_add,
]


def assert_cached_equals_fresh() -> None:
    assert page_cache.network_summary() == selectors.network_summary()
    for filters in FILTERS:
        assert page_cache.network_listing_html(filters=filters) == page_cache.network_listing_fresh(
            filters=filters
        )
    cached, fresh = console_figures_cached(), console_figures()
    assert cached == fresh
    assert [str(row["workshop"]) for row in cached["utilisation"]] == [
        str(row["workshop"]) for row in fresh["utilisation"]
    ]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(CHANGES), st.integers(min_value=0, max_value=10_000)),
        min_size=1,
        max_size=10,
    )
)
def test_cached_figures_always_equal_a_fresh_computation(db, changes):
    # Each example starts from an empty database and cache: its changes are rolled back.
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        cache.clear()
        assert_cached_equals_fresh()  # the cache filled before the first change
        for change, n in changes:
            change(n)
            assert_cached_equals_fresh()
        transaction.set_rollback(True)


def test_a_change_replaces_the_token_and_a_read_misses(db):
    """The mechanism the property relies on, seen directly: a save makes the next read miss."""
    workshop = WorkshopFactory()
    with time_machine.travel(NOW, tick=False):
        before = page_cache.network_summary()
        token = page_cache.token_current(page_cache.NETWORK)
        workshop.verification_status = Workshop.Verification.SUSPENDED
        workshop.save()
        assert page_cache.token_current(page_cache.NETWORK) != token
        assert page_cache.network_summary()["workshops"] == before["workshops"] - 1
