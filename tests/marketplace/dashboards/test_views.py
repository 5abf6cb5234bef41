"""Each role's dashboard shows that organization's own data, with empty states."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import MachineFactory, UserFactory, WorkshopFactory
from tests.helpers import workshop_of

pytestmark = pytest.mark.django_db


def dashboard_of(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("dashboard")).content.decode()


def test_a_user_without_organization_is_asked_to_create_one(client):
    page = dashboard_of(client, UserFactory())
    assert "Create an organization" in page


def test_creating_an_organization_in_the_browser_leads_to_its_dashboard(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("organization_new"), {"name": "Acme", "kind": "customer"}, follow=True
    )
    assert "Customer dashboard" in response.content.decode()


def test_the_customer_dashboard_has_empty_states(client, customer_alice):
    page = dashboard_of(client, customer_alice)
    assert "Customer dashboard" in page
    assert "not uploaded any designs yet" in page


def test_the_workshop_dashboard_lists_its_own_machines_with_free_hours(
    client, workshop_bob, workshop_charlie
):
    MachineFactory(workshop=workshop_of(workshop_bob), name="Haas VF-2 #1", open_on=range(5))
    MachineFactory(workshop=workshop_of(workshop_charlie), name="Not Bob's")
    # A Sunday night: the four weeks ahead hold whole working days, whatever time the suite runs.
    with time_machine.travel(datetime(2030, 6, 2, 20, 0, tzinfo=UTC), tick=False):
        page = dashboard_of(client, workshop_bob)
    assert "Haas VF-2 #1" in page
    assert "Not Bob&#x27;s" not in page
    assert "Not Bob's" not in page
    assert "160.0" in page  # 5 days x 8 h x 4 weeks


def test_the_operator_console_lists_workshops_awaiting_verification(client, operator_olga):
    WorkshopFactory(organization__name="Newcomer GmbH", verification_status="pending")
    page = dashboard_of(client, operator_olga)
    assert "Operator console" in page
    assert "Newcomer GmbH" in page


def test_the_dashboard_query_count_does_not_grow_with_machines(
    client, workshop_bob, django_assert_max_num_queries
):
    for _ in range(20):
        MachineFactory(workshop=workshop_of(workshop_bob), open_on=[0])
    client.force_login(workshop_bob)
    with django_assert_max_num_queries(25):
        client.get(reverse("dashboard"))


def test_the_revenue_chart_gets_every_day_in_minor_units_a_loss_below_the_axis():
    """Before: the hand-drawn bars rendered with empty y attributes (30 console errors)."""
    import datetime as dt
    from types import SimpleNamespace

    from billing.money import Money
    from marketplace.dashboards.selectors import revenue_chart

    days = [
        SimpleNamespace(day=dt.date(2026, 11, d), revenue=Money(minor, "EUR"))
        for d, minor in ((1, 1000), (2, -4000), (3, 500))
    ]
    chart = revenue_chart(SimpleNamespace(daily_revenue=days, currency="EUR"))
    assert chart["chart"] == {
        "currency": "EUR",
        "days": ["2026-11-01", "2026-11-02", "2026-11-03"],
        "minor": [1000, -4000, 500],
    }
    assert chart["element_id"] == "revenue-data-EUR"


def test_the_operator_console_sends_its_charts_data_as_json(client, operator_olga):
    """Chart data goes to the page as json_script (no inline script: the CSP forbids it)."""
    import json
    import re

    from tests.factories.orders import OrderFactory

    OrderFactory(status="paid")
    OrderFactory(status="paid")
    page = dashboard_of(client, operator_olga)
    found = re.search(
        r'<script id="orders-chart-data" type="application/json">(.*?)</script>', page
    )
    data = json.loads(found.group(1))
    assert dict(zip(data["labels"], data["values"], strict=True))["Paid"] == 2
    assert 'data-chart="bars"' in page
    assert "<svg" not in page.split('id="billing"')[-1]


def test_each_role_dashboard_lists_its_own_orders_jobs_and_legs(
    client, customer_alice, workshop_bob, workshop_charlie
):
    """Before: every dashboard said "No orders yet" whatever the organization had."""
    from tests.factories.work import order_in_production

    story = order_in_production(customer_alice, workshop_bob)
    customer = dashboard_of(client, customer_alice)
    assert "No orders yet" not in customer
    assert story.order.reference in customer
    workshop = dashboard_of(client, workshop_bob)
    assert "No jobs assigned yet" not in workshop
    assert reverse("job_detail", args=[story.job.pk]) in workshop
    carrier = dashboard_of(client, story.carrier_user)
    assert "No shipments to move yet" not in carrier
    assert reverse("shipment_detail", args=[story.leg.pk]) in carrier
    assert story.order.reference not in dashboard_of(client, workshop_charlie)


def test_dashboards_say_so_when_there_is_nothing_to_do(client, workshop_bob):
    assert "No jobs assigned yet" in dashboard_of(client, workshop_bob)


def test_the_workshop_dashboard_counts_its_open_and_done_jobs(client, workshop_bob):
    from marketplace.orders.models import Job
    from tests.factories.orders import JobFactory

    workshop = workshop_of(workshop_bob)
    for status in ("offered", "accepted", "in_progress", "done", "done", "declined", "planned"):
        JobFactory(workshop=workshop, status=status)
    JobFactory(status=Job.Status.ACCEPTED)  # another workshop's
    page = dashboard_of(client, workshop_bob)
    assert "3 jobs to work on, 2 done." in page
