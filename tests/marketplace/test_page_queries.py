"""Every page of the web benchmark's mix (benchmarks/bench_web.py) costs a pinned number of
queries, with the cache empty and filled, and that number does not grow with the data shown."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.orders.models import Job
from tests.factories import (
    CertificationFactory,
    MachineFactory,
    WeeklyAvailabilityFactory,
    WorkshopFactory,
)
from tests.factories.orders import JobFactory, OrderFactory, QuoteOptionFactory, ShipmentFactory
from tests.helpers import organization_of, workshop_of

# A shared Redis (make test-services) is written by the other worker, whose saves replace the
# version tokens between the cold and warm reads: the pages are measured on a private cache.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

# (role, path, most queries with the cache empty, most with it filled); {order} is one of
# the customer's orders. The signed-in session costs two (session, user) and the memberships
# one, however often the page, its access checks, the second-factor rule and the navigation
# ask: every page pays them; only an operator's page asks for the second factor itself.
PAGES = [
    ("customer", "/dashboard/", 12, 7),
    ("customer", "/orders/", 5, 5),
    # 3 of them the quality panel's (records, files, the lines' tolerance classes with the
    # customer's requirements)
    ("customer", "{order}", 16, 16),
    ("customer", "/network/", 13, 7),
    ("customer", "/api/v1/orders/", 5, 5),
    ("workshop", "/dashboard/", 16, 11),  # the machines without materials and hours
    ("workshop", "/jobs/", 8, 8),
    ("workshop", "/api/v1/jobs/", 6, 6),
    ("operator", "/dashboard/", 29, 16),
    ("operator", "/network/", 14, 8),
    ("operator", "/api/v1/orders/", 6, 6),
]


def add_world(customer, workshop_user, count: int) -> list:
    """``count`` more of everything the pages list: verified workshops with machines and
    certificates, and the customer's orders, each with a job at the workshop and a leg."""
    workshop = workshop_of(workshop_user)
    orders = []
    for n in range(count):
        other = WorkshopFactory(organization__name=f"Workshop {n}-{Job.objects.count()}")
        other.certifications.add(CertificationFactory())
        machine = MachineFactory(workshop=other)
        WeeklyAvailabilityFactory(machine=machine)
        own_machine = MachineFactory(workshop=workshop)
        WeeklyAvailabilityFactory(machine=own_machine)
        option = QuoteOptionFactory(request__organization=organization_of(customer))
        order = OrderFactory(option=option, status="paid")
        JobFactory(order=order, workshop=workshop, machine=own_machine, status=Job.Status.ACCEPTED)
        ShipmentFactory(order=order, origin=workshop, destination=None)
        orders.append(order)
    return orders


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


def cold_and_warm(client, path: str) -> tuple[int, int]:
    cache.clear()
    cold = queries_of(client, path)
    return cold, queries_of(client, path)


@pytest.fixture
def world(customer_alice, workshop_bob, operator_olga):
    orders = add_world(customer_alice, workshop_bob, 2)
    return {
        "customer": customer_alice,
        "workshop": workshop_bob,
        "operator": operator_olga,
        "order": f"/orders/{orders[0].pk}/",
    }


@pytest.mark.parametrize(("role", "path", "most_cold", "most_warm"), PAGES)
def test_each_page_of_the_mix_costs_a_pinned_number_of_queries_that_data_does_not_grow(
    client, world, role, path, most_cold, most_warm
):
    path = path.format(order=world["order"])
    client.force_login(world[role])
    client.get(path)  # the session and the basemap warmed up, as on a running site
    cold, warm = cold_and_warm(client, path)
    assert cold <= most_cold, f"{path} as {role}: {cold} queries with the cache empty"
    assert warm <= most_warm, f"{path} as {role}: {warm} queries with the cache filled"

    add_world(world["customer"], world["workshop"], 4)
    assert cold_and_warm(client, path) == (cold, warm), f"{path} as {role} grows with its data"


def test_the_order_page_reads_the_workshops_of_its_route_map_in_one_query(client, customer_alice):
    """Before: each workshop on the route cost one more query (its organization's name)."""

    def order_page_queries(workshop_count: int) -> int:
        option = QuoteOptionFactory(request__organization=organization_of(customer_alice))
        order = OrderFactory(option=option, status="paid")
        for sequence in range(workshop_count):  # one step at each of that many workshops
            JobFactory(order=order, workshop=WorkshopFactory(), sequence=sequence)
        client.get(f"/orders/{order.pk}/")
        return queries_of(client, f"/orders/{order.pk}/")

    client.force_login(customer_alice)
    assert order_page_queries(1) == order_page_queries(5)


def test_a_request_asks_once_whether_its_user_is_an_operator(client, customer_alice):
    """Before: the order page asked twice (the page's access check and the navigation)."""
    option = QuoteOptionFactory(request__organization=organization_of(customer_alice))
    order = OrderFactory(option=option, status="paid")
    client.force_login(customer_alice)
    client.get(f"/orders/{order.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/orders/{order.pk}/").status_code == 200
    asks = [q["sql"] for q in queries.captured_queries if "'platform'" in q["sql"]]
    assert len(asks) <= 1, asks


def test_only_an_operator_is_asked_for_a_second_factor_on_a_page(
    client, customer_alice, operator_olga
):
    """The memberships the page reads anyway say who is an operator: only an operator's page
    asks whether the user has a second factor (before: every signed-in page asked)."""
    option = QuoteOptionFactory(request__organization=organization_of(customer_alice))
    order = OrderFactory(option=option, status="paid")
    for user, asked in ((customer_alice, 0), (operator_olga, 1)):
        client.force_login(user)
        client.get(f"/orders/{order.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/orders/{order.pk}/").status_code == 200
        asks = [q["sql"] for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]
        assert len(asks) == asked, (user, asks)


def test_a_page_reads_its_users_memberships_once(client, customer_alice):
    """Before: the order page read them five times (the active organization, the navigation,
    the access checks and the organizations the user may write as)."""
    option = QuoteOptionFactory(request__organization=organization_of(customer_alice))
    order = OrderFactory(option=option, status="paid")
    client.force_login(customer_alice)
    client.get(f"/orders/{order.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/orders/{order.pk}/").status_code == 200
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "accounts_membership"')
    ]
    assert len(reads) == 1, reads


def test_the_order_page_reads_its_quality_files_once_and_joins_no_order_to_sort(
    client, customer_alice
):
    """Before: the quality panel read the order's files twice (their kinds for the required
    documents, then the list), and every list of the order's rows (steps, legs, events,
    messages, quality) joined the orders table only to sort by the order's date."""
    option = QuoteOptionFactory(request__organization=organization_of(customer_alice))
    order = OrderFactory(option=option, status="paid")
    JobFactory(order=order, status=Job.Status.ACCEPTED)
    client.force_login(customer_alice)
    client.get(f"/orders/{order.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/orders/{order.pk}/").status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries]
    assert len([sql for sql in sqls if 'FROM "marketplace_qualityfile"' in sql]) == 1, sqls
    joined = [sql for sql in sqls if 'JOIN "marketplace_order"' in sql]
    assert joined == []
