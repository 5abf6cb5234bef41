"""Which orders a workshop or carrier sees: only those of steps or legs it holds, with their
chat; a planned (unpaid), declined, moved or cancelled step shows nothing."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.orders.models import Job, Message, Order, Shipment
from tests.factories import CarrierFactory, UserFactory
from tests.factories.orders import JobFactory, OrderFactory, ShipmentFactory
from tests.helpers import api_client_for, ids, organization_of, workshop_of

pytestmark = pytest.mark.django_db

HELD = ["offered", "accepted", "in_progress", "done"]
NOT_HELD = ["planned", "declined", "superseded", "cancelled"]


@pytest.fixture
def order(customer_alice):
    return OrderFactory(option__request__organization=organization_of(customer_alice))


def _step(order, workshop, status):
    return JobFactory(order=order, workshop=workshop, status=status)


@pytest.mark.parametrize("status", NOT_HELD)
def test_a_workshop_without_a_held_step_cannot_read_the_order_or_its_chat(
    client, workshop_bob, order, status
):
    _step(order, workshop_of(workshop_bob), status)
    client.force_login(workshop_bob)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert order.reference not in client.get("/orders/").content.decode()
    assert api_client_for(workshop_bob).get(f"/api/v1/orders/{order.pk}/").status_code == 404


@pytest.mark.parametrize("status", NOT_HELD)
def test_a_workshop_without_a_held_step_cannot_post_to_the_chat(
    client, workshop_bob, order, status
):
    _step(order, workshop_of(workshop_bob), status)
    client.force_login(workshop_bob)
    response = client.post(
        f"/orders/{order.pk}/messages/",
        {"body": "hello", "organization": organization_of(workshop_bob).pk},
    )
    assert response.status_code == 404
    assert not Message.objects.filter(order=order).exists()


@pytest.mark.parametrize("status", HELD)
def test_a_workshop_holding_a_step_reads_the_order(client, workshop_bob, order, status):
    _step(order, workshop_of(workshop_bob), status)
    client.force_login(workshop_bob)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert api_client_for(workshop_bob).get(f"/api/v1/orders/{order.pk}/").status_code == 200


def test_a_moved_step_hides_nothing_while_another_step_is_held(workshop_bob, order):
    _step(order, workshop_of(workshop_bob), "superseded")
    _step(order, workshop_of(workshop_bob), "accepted")
    assert list(Order.objects.visible_to(workshop_bob)) == [order]


@pytest.mark.parametrize("status", ["superseded", "cancelled"])
def test_a_carrier_whose_leg_was_moved_or_cancelled_loses_the_order(order, status):
    carrier = CarrierFactory()
    user = UserFactory()
    carrier.organization.memberships.create(user=user, role="owner")
    ShipmentFactory(order=order, carrier=carrier, status=status)
    assert not Order.objects.visible_to(user).exists()
    Shipment.objects.filter(order=order).update(status="planned")
    assert list(Order.objects.visible_to(user)) == [order]


# -- the jobs themselves: one rule for the job page, the API's detail and list ---------------
@pytest.mark.parametrize("status", NOT_HELD)
def test_a_workshop_cannot_read_a_step_it_does_not_hold(client, workshop_bob, order, status):
    job = _step(order, workshop_of(workshop_bob), status)
    api = api_client_for(workshop_bob)
    client.force_login(workshop_bob)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    response = api.get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert job.pk not in ids(api.get("/api/v1/jobs/"))


@pytest.mark.parametrize("status", HELD)
def test_a_workshop_reads_a_step_it_holds_done_ones_included(client, workshop_bob, order, status):
    job = _step(order, workshop_of(workshop_bob), status)
    api = api_client_for(workshop_bob)
    client.force_login(workshop_bob)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200
    assert api.get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert ids(api.get("/api/v1/jobs/")) == {job.pk}


def test_a_declined_step_is_hidden_while_another_step_of_the_order_is_held(
    client, workshop_bob, order
):
    declined = _step(order, workshop_of(workshop_bob), "declined")
    held = _step(order, workshop_of(workshop_bob), "accepted")
    api = api_client_for(workshop_bob)
    client.force_login(workshop_bob)
    assert client.get(f"/jobs/{declined.pk}/").status_code == 404
    assert api.get(f"/api/v1/jobs/{declined.pk}/").status_code == 404
    assert ids(api.get("/api/v1/jobs/")) == {held.pk}
    body = api.get(f"/api/v1/orders/{order.pk}/").json()
    assert [j["id"] for j in body["jobs"]] == [held.pk]


@pytest.mark.parametrize("status", ["declined", "cancelled"])
def test_the_board_names_a_step_the_workshop_let_go_without_opening_it(
    client, workshop_bob, order, status
):
    job = _step(order, workshop_of(workshop_bob), status)
    client.force_login(workshop_bob)
    html = client.get("/jobs/").content.decode()
    assert f'id="job-{job.pk}"' in html
    assert f'href="/jobs/{job.pk}/"' not in html
    assert f'href="/orders/{order.pk}/"' not in html


def test_the_customer_still_sees_every_step_of_its_order(customer_alice, workshop_bob, order):
    steps = {_step(order, workshop_of(workshop_bob), status).pk for status in HELD + NOT_HELD}
    body = api_client_for(customer_alice).get(f"/api/v1/orders/{order.pk}/").json()
    assert {j["id"] for j in body["jobs"]} == steps


# -- randomized: any mix of steps of any workshops on any orders -----------------------------
STEP = st.tuples(
    st.sampled_from(["bob", "charlie"]),
    st.integers(min_value=0, max_value=2),  # which order
    st.sampled_from(HELD + NOT_HELD),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, max_size=8))
def test_workshops_see_exactly_the_orders_of_the_steps_they_hold(
    customer_alice, workshop_bob, workshop_charlie, steps
):
    users = {"bob": workshop_bob, "charlie": workshop_charlie}
    with transaction.atomic():
        orders = [
            OrderFactory(option__request__organization=organization_of(customer_alice))
            for _ in range(3)
        ]
        for name, index, status in steps:
            _step(orders[index], workshop_of(users[name]), status)
        for name, user in users.items():
            expected = {
                orders[i].pk for who, i, status in steps if who == name and status in Job.HELD
            }
            assert set(Order.objects.visible_to(user).values_list("pk", flat=True)) == expected
        assert set(Order.objects.visible_to(customer_alice).values_list("pk", flat=True)) == {
            o.pk for o in orders
        }
        transaction.set_rollback(True)
