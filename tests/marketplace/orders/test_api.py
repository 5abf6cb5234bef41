"""The order API for every persona: quotes, orders, jobs (a workshop's MES), shipments.

Who sees what follows the order page: the customer and operators see every step and leg, a
workshop only its own steps and the legs it sends or receives, a carrier only its legs. The
whole story runs once through the API on the small network with the real matcher.
"""

import pytest
from rest_framework.test import APIClient

from marketplace.orders.models import Job, Message, Order, Review
from tests.factories import CarrierFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.designs import bracket_and_gear
from tests.factories.network import member_for, open_all_week
from tests.factories.orders import (
    JobFactory,
    OrderFactory,
    QuoteOptionFactory,
    QuoteRequestFactory,
    ShipmentFactory,
)
from tests.helpers import (
    api_client_for,
    error_of,
    ids,
    organization_of,
    pay_manually,
    workshop_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]

API = "/api/v1"
MUNICH = {
    "name": "Goods in",
    "address": "Main street 1",
    "city": "Munich",
    "country": "DE",
    "latitude": 48.1351,
    "longitude": 11.5820,
}


# -- a small world without the solver, for the role matrix ----------------------------------
def _job(order, workshop, sequence):
    return JobFactory(
        order=order, workshop=workshop, machine=open_all_week(workshop=workshop), sequence=sequence
    )


def _carrier(name, email):
    carrier = CarrierFactory(organization__name=name)
    user = UserFactory(email=email)
    MembershipFactory(user=user, organization=carrier.organization)
    return user, carrier


def _order_for(organization):
    return OrderFactory(option__request__organization=organization, status="paid")


@pytest.fixture
def world(customer_alice, workshop_bob, workshop_charlie, operator_olga):
    """Alice's paid order: a step at Bob's, then one at Charlie's; Carla carries Bob's parts
    to Charlie, Dave carries them on to Alice. Eve's order goes to Charlie only."""
    bob_shop = workshop_of(workshop_bob)
    charlie_shop = workshop_of(workshop_charlie)
    carla, carla_carrier = _carrier("Rhein Cargo", "carla@example.com")
    dave, dave_carrier = _carrier("Delta Freight", "dave@example.com")
    eve = UserFactory(email="eve@example.com")
    MembershipFactory(user=eve, organization=OrganizationFactory(name="Eve Labs"))

    order = _order_for(organization_of(customer_alice))
    bob_job = _job(order, bob_shop, 0)
    charlie_job = _job(order, charlie_shop, 1)
    to_charlie = ShipmentFactory(
        order=order, origin=bob_shop, destination=charlie_shop, carrier=carla_carrier
    )
    to_alice = ShipmentFactory(
        order=order, origin=charlie_shop, destination=None, carrier=dave_carrier
    )
    eve_order = _order_for(organization_of(eve))
    eve_job = _job(eve_order, charlie_shop, 0)
    return {
        "alice": customer_alice,
        "bob": workshop_bob,
        "charlie": workshop_charlie,
        "olga": operator_olga,
        "carla": carla,
        "dave": dave,
        "eve": eve,
        "order": order,
        "eve_order": eve_order,
        "bob_job": bob_job,
        "charlie_job": charlie_job,
        "eve_job": eve_job,
        "to_charlie": to_charlie,
        "to_alice": to_alice,
    }


ENDPOINTS = [
    ("get", "/quotes/"),
    ("post", "/quotes/"),
    ("get", "/quotes/1/"),
    ("post", "/quotes/1/options/1/order/"),
    ("get", "/orders/"),
    ("get", "/orders/1/"),
    ("post", "/orders/1/cancel/"),
    ("post", "/orders/1/dispute/"),
    ("post", "/orders/1/confirm-delivery/"),
    ("post", "/orders/1/complete/"),
    ("post", "/orders/1/messages/"),
    ("post", "/orders/1/reviews/"),
    ("get", "/jobs/"),
    ("get", "/jobs/1/"),
    ("post", "/jobs/1/accept/"),
    ("post", "/jobs/1/decline/"),
    ("post", "/jobs/1/start/"),
    ("post", "/jobs/1/progress/"),
    ("post", "/jobs/1/complete/"),
    ("get", "/shipments/"),
    ("get", "/shipments/1/"),
    ("post", "/shipments/1/hand-over/"),
    ("post", "/shipments/1/receive/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_everywhere(method, path):
    response = getattr(APIClient(), method)(API + path, {}, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


# -- the customer ---------------------------------------------------------------------------
def test_the_customer_sees_only_its_orders_with_every_step_leg_and_the_price(world):
    client = api_client_for(world["alice"])
    assert ids(client.get(f"{API}/orders/")) == {world["order"].pk}
    body = client.get(f"{API}/orders/{world['order'].pk}/").json()
    assert body["price_minor"] == world["order"].price_minor
    assert {j["id"] for j in body["jobs"]} == {world["bob_job"].pk, world["charlie_job"].pk}
    assert {s["id"] for s in body["shipments"]} == {
        world["to_charlie"].pk,
        world["to_alice"].pk,
    }
    assert client.get(f"{API}/orders/{world['eve_order'].pk}/").status_code == 404


def test_orders_filter_by_status(world):
    client = api_client_for(world["olga"])
    assert ids(client.get(f"{API}/orders/", {"status": "paid"})) == {
        world["order"].pk,
        world["eve_order"].pk,
    }
    assert ids(client.get(f"{API}/orders/", {"status": "shipped"})) == set()


def test_a_customer_cannot_act_on_jobs_or_list_a_job_board(world):
    client = api_client_for(world["alice"])
    response = client.get(f"{API}/jobs/")
    assert response.status_code == 403
    assert "workshop" in error_of(response)["message"]
    response = client.post(f"{API}/jobs/{world['bob_job'].pk}/accept/")
    assert response.status_code == 404
    world["bob_job"].refresh_from_db()
    assert world["bob_job"].status == "offered"


def test_a_customer_cancels_its_paid_order_with_a_reason_and_not_without(world):
    client = api_client_for(world["alice"])
    url = f"{API}/orders/{world['order'].pk}/cancel/"
    response = client.post(url, {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "reason_required",
        "message": "Say why the order is cancelled.",
    }
    world["order"].refresh_from_db()
    assert world["order"].status == "paid"

    response = client.post(url, {"reason": "Wrong material"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert set(Job.objects.filter(order=world["order"]).values_list("status", flat=True)) == {
        "cancelled"
    }


def test_eve_cannot_see_or_cancel_alices_order(world):
    client = api_client_for(world["eve"])
    response = client.post(
        f"{API}/orders/{world['order'].pk}/cancel/", {"reason": "mine now"}, format="json"
    )
    assert response.status_code == 404
    world["order"].refresh_from_db()
    assert world["order"].status == "paid"


# -- a workshop -----------------------------------------------------------------------------
def test_a_workshop_sees_only_orders_it_works_on_and_only_its_steps_and_legs(world):
    client = api_client_for(world["bob"])
    assert ids(client.get(f"{API}/orders/")) == {world["order"].pk}
    body = client.get(f"{API}/orders/{world['order'].pk}/").json()
    assert body["price_minor"] is None
    assert [j["id"] for j in body["jobs"]] == [world["bob_job"].pk]
    assert [s["id"] for s in body["shipments"]] == [world["to_charlie"].pk]
    assert client.get(f"{API}/orders/{world['eve_order'].pk}/").status_code == 404

    assert ids(client.get(f"{API}/jobs/")) == {world["bob_job"].pk}
    assert ids(client.get(f"{API}/shipments/")) == {world["to_charlie"].pk}


def test_the_next_workshop_sees_the_legs_it_receives_and_sends(world):
    client = api_client_for(world["charlie"])
    assert ids(client.get(f"{API}/orders/")) == {world["order"].pk, world["eve_order"].pk}
    body = client.get(f"{API}/orders/{world['order'].pk}/").json()
    assert [j["id"] for j in body["jobs"]] == [world["charlie_job"].pk]
    assert {s["id"] for s in body["shipments"]} == {world["to_charlie"].pk, world["to_alice"].pk}
    assert ids(client.get(f"{API}/jobs/", {"status": "offered"})) == {
        world["charlie_job"].pk,
        world["eve_job"].pk,
    }
    legs = {row["id"]: row for row in client.get(f"{API}/shipments/").json()["results"]}
    assert legs[world["to_alice"].pk]["deliver_to"]["city"] == "Munich"
    assert legs[world["to_charlie"].pk]["deliver_to"] is None


def test_a_workshop_cannot_accept_another_workshops_job(world):
    response = api_client_for(world["bob"]).post(f"{API}/jobs/{world['charlie_job'].pk}/accept/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    world["charlie_job"].refresh_from_db()
    assert world["charlie_job"].status == "offered"


def test_a_workshop_cannot_cancel_the_order(world):
    response = api_client_for(world["bob"]).post(
        f"{API}/orders/{world['order'].pk}/cancel/", {"reason": "too busy"}, format="json"
    )
    assert response.status_code == 403
    world["order"].refresh_from_db()
    assert world["order"].status == "paid"


def test_a_workshops_mes_accepts_starts_reports_and_completes_a_job(world):
    client = api_client_for(world["bob"])
    url = f"{API}/jobs/{world['bob_job'].pk}"
    assert client.post(f"{url}/accept/").json()["status"] == "accepted"
    assert client.post(f"{url}/start/").json()["status"] == "in_progress"
    body = client.post(f"{url}/progress/", {"percent": 40, "note": "roughing"}, format="json")
    assert body.json()["progress_percent"] == 40
    assert body.json()["progress_note"] == "roughing"
    assert client.post(f"{url}/complete/").json()["status"] == "done"
    world["order"].refresh_from_db()
    assert world["order"].status == "in_production"
    assert client.get(f"{url}/").json()["progress_percent"] == 100


def test_progress_beyond_100_is_refused_and_changes_nothing(world):
    client = api_client_for(world["bob"])
    url = f"{API}/jobs/{world['bob_job'].pk}"
    client.post(f"{url}/accept/")
    client.post(f"{url}/start/")
    response = client.post(f"{url}/progress/", {"percent": 150}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "100" in error["fields"]["percent"][0]
    world["bob_job"].refresh_from_db()
    assert world["bob_job"].progress_percent == 0


def test_progress_before_starting_is_a_conflict(world):
    response = api_client_for(world["bob"]).post(
        f"{API}/jobs/{world['bob_job'].pk}/progress/", {"percent": 10}, format="json"
    )
    assert response.status_code == 409
    assert error_of(response)["message"] == "Only a started job reports progress."


def test_declining_without_a_reason_is_refused_and_changes_nothing(world):
    client = api_client_for(world["bob"])
    url = f"{API}/jobs/{world['bob_job'].pk}/decline/"
    response = client.post(url, {"reason": ""}, format="json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "reason_required",
        "message": "Say why you decline, so that the customer understands.",
    }
    response = client.post(url, {}, format="json")
    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    world["bob_job"].refresh_from_db()
    assert world["bob_job"].status == "offered"


def test_the_active_organization_header_picks_the_job_board(world, workshop_bob):
    acme = organization_of(world["alice"])
    MembershipFactory(user=workshop_bob, organization=acme)
    client = api_client_for(workshop_bob)
    response = client.get(f"{API}/jobs/", HTTP_X_ORGANIZATION=str(acme.pk))
    assert response.status_code == 403
    bob_org = workshop_bob.memberships.get(organization__kind="workshop").organization
    assert ids(client.get(f"{API}/jobs/", HTTP_X_ORGANIZATION=bob_org.slug)) == {
        world["bob_job"].pk
    }


# -- a carrier ------------------------------------------------------------------------------
def test_a_carrier_sees_only_its_legs(world):
    client = api_client_for(world["carla"])
    assert ids(client.get(f"{API}/orders/")) == {world["order"].pk}
    body = client.get(f"{API}/orders/{world['order'].pk}/").json()
    assert body["jobs"] == []
    assert [s["id"] for s in body["shipments"]] == [world["to_charlie"].pk]
    assert body["price_minor"] is None
    assert ids(client.get(f"{API}/shipments/")) == {world["to_charlie"].pk}
    assert client.get(f"{API}/shipments/{world['to_alice'].pk}/").status_code == 404
    assert client.get(f"{API}/jobs/").status_code == 403


def test_a_leg_is_handed_over_only_after_the_work_and_by_the_sender_or_carrier(world):
    leg = world["to_charlie"]
    response = api_client_for(world["carla"]).post(
        f"{API}/shipments/{leg.pk}/hand-over/", {"tracking_number": "TRK1"}, format="json"
    )
    assert response.status_code == 409
    assert "Finish the work" in error_of(response)["message"]
    response = api_client_for(world["alice"]).post(f"{API}/shipments/{leg.pk}/hand-over/")
    assert response.status_code == 403

    Job.objects.filter(pk=world["bob_job"].pk).update(status="done")
    response = api_client_for(world["carla"]).post(
        f"{API}/shipments/{leg.pk}/hand-over/", {"tracking_number": "TRK1"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "in_transit"
    assert response.json()["tracking_number"] == "TRK1"
    response = api_client_for(world["charlie"]).post(f"{API}/shipments/{leg.pk}/receive/")
    assert response.json()["status"] == "delivered"


# -- the operator ---------------------------------------------------------------------------
def test_the_operator_sees_every_order_in_full_and_may_cancel(world):
    client = api_client_for(world["olga"])
    assert ids(client.get(f"{API}/orders/")) == {world["order"].pk, world["eve_order"].pk}
    body = client.get(f"{API}/orders/{world['order'].pk}/").json()
    assert len(body["jobs"]) == 2
    assert len(body["shipments"]) == 2
    assert body["price_minor"] == world["order"].price_minor
    response = client.post(
        f"{API}/orders/{world['order'].pk}/cancel/", {"reason": "Fraud check"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["role"] == "operator"


# -- messages and reviews -------------------------------------------------------------------
def test_messages_are_posted_as_one_of_the_callers_organizations(world):
    url = f"{API}/orders/{world['order'].pk}/messages/"
    response = api_client_for(world["bob"]).post(url, {"body": "Material arrived"}, format="json")
    assert response.status_code == 201
    assert response.json()["organization"]["name"] == organization_of(world["bob"]).name
    acme = organization_of(world["alice"])
    response = api_client_for(world["bob"]).post(
        url, {"body": "I am Acme", "organization": acme.pk}, format="json"
    )
    assert response.status_code == 403
    response = api_client_for(world["alice"]).post(url, {"body": "  "}, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "empty_message"
    assert Message.objects.filter(order=world["order"]).count() == 1
    body = api_client_for(world["alice"]).get(f"{API}/orders/{world['order'].pk}/").json()
    assert [m["body"] for m in body["messages"]] == ["Material arrived"]


def test_a_review_before_completion_is_refused(world):
    response = api_client_for(world["alice"]).post(
        f"{API}/orders/{world['order'].pk}/reviews/",
        {"workshop": world["bob_job"].workshop_id, "rating": 5},
        format="json",
    )
    assert response.status_code == 409
    assert error_of(response)["message"] == "Reviews open once the order is completed."
    assert not Review.objects.exists()


def test_a_rating_outside_one_to_five_is_refused(world):
    Order.objects.filter(pk=world["order"].pk).update(status="completed")
    response = api_client_for(world["alice"]).post(
        f"{API}/orders/{world['order'].pk}/reviews/",
        {"workshop": world["bob_job"].workshop_id, "rating": 6},
        format="json",
    )
    assert response.status_code == 400
    assert "rating" in error_of(response)["fields"]
    assert not Review.objects.exists()


# -- query counts ---------------------------------------------------------------------------
def _more_orders(world, n):
    for _ in range(n):
        order = _order_for(organization_of(world["alice"]))
        _job(order, world["bob_job"].workshop, 0)
        ShipmentFactory(
            order=order,
            origin=world["bob_job"].workshop,
            destination=None,
            carrier=world["to_charlie"].carrier,
        )


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("alice", "/orders/"),
        ("olga", "/orders/"),
        ("bob", "/orders/"),
        ("bob", "/jobs/"),
        ("bob", "/shipments/"),
        ("carla", "/shipments/"),
    ],
)
def test_lists_take_a_bounded_number_of_queries(
    world, persona, path, django_assert_max_num_queries
):
    client = api_client_for(world[persona])
    _more_orders(world, 1)
    with django_assert_max_num_queries(10):
        first = client.get(API + path).json()["count"]
    _more_orders(world, 6)
    with django_assert_max_num_queries(10):
        assert client.get(API + path).json()["count"] == first + 6


def test_the_quote_list_takes_a_bounded_number_of_queries(
    customer_alice, django_assert_max_num_queries
):
    acme = organization_of(customer_alice)
    client = api_client_for(customer_alice)
    QuoteOptionFactory(request=QuoteRequestFactory(organization=acme))
    with django_assert_max_num_queries(8):
        client.get(f"{API}/quotes/")
    for _ in range(5):
        OrderFactory(option=QuoteOptionFactory(request=QuoteRequestFactory(organization=acme)))
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/quotes/").json()["count"] == 6


# -- quotes and the whole story on the small network ----------------------------------------
def _ask_for_quote(client, revisions, quantity=2):
    lines = [
        {"revision": r.pk, "material": "al-6061", "finish": "anodized", "quantity": quantity}
        for r in revisions
    ]
    return client.post(f"{API}/quotes/", {"lines": lines, "ship_to": MUNICH}, format="json")


def test_a_quote_is_asked_for_listed_and_shown_with_its_options(small_network, customer_alice):
    client = api_client_for(customer_alice)
    response = _ask_for_quote(client, bracket_and_gear(organization_of(customer_alice)))
    assert response.status_code == 201, response.json()
    quote = response.json()
    assert quote["status"] == "ready", quote["reasons"]
    option = quote["options"][0]
    assert option["price_minor"] == (
        option["cost_minor"] + option["margin_minor"] + option["platform_fee_minor"]
    )
    assert option["route"]["steps"]
    assert {"currency", "delivery_at", "co2_g", "labels", "summary"} <= set(option)
    assert [line["material"] for line in quote["lines"]] == ["al-6061", "al-6061"]

    assert ids(client.get(f"{API}/quotes/")) == {quote["id"]}
    shown = client.get(f"{API}/quotes/{quote['id']}/").json()
    assert [o["id"] for o in shown["options"]] == [o["id"] for o in quote["options"]]
    bob = api_client_for(small_network["bob"])
    assert bob.get(f"{API}/quotes/{quote['id']}/").status_code == 404
    assert bob.get(f"{API}/quotes/").status_code == 403


def test_quoting_someone_elses_design_or_bad_lines_is_refused(small_network, customer_alice):
    stranger = OrganizationFactory(name="Stranger")
    client = api_client_for(customer_alice)
    response = _ask_for_quote(client, bracket_and_gear(stranger))
    assert response.status_code == 400
    assert "revision" in error_of(response)["fields"]["lines"]["0"]
    response = client.post(f"{API}/quotes/", {"lines": [], "ship_to": MUNICH}, format="json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "quote_invalid",
        "message": "Add at least one design to the quote.",
    }
    assert not organization_of(customer_alice).quote_requests.exists()


def test_the_whole_story_through_the_api(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    alice = api_client_for(customer_alice)
    quote = _ask_for_quote(alice, bracket_and_gear(organization_of(customer_alice))).json()
    first, second = quote["options"][0], quote["options"][-1]

    response = alice.post(f"{API}/quotes/{quote['id']}/options/{first['id']}/order/")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "placed"
    assert order["price_minor"] == first["price_minor"]
    url = f"{API}/orders/{order['id']}"

    # Ordering twice from one quote is refused and creates nothing.
    again = alice.post(f"{API}/quotes/{quote['id']}/options/{second['id']}/order/")
    assert again.status_code == 409
    assert error_of(again)["code"] == "conflict"
    assert Order.objects.count() == 1
    assert alice.get(f"{API}/quotes/{quote['id']}/").json()["options"][0]["order"] == order["id"]

    pay_manually(Order.objects.get(pk=order["id"]), operator_olga, capture)
    assert alice.get(f"{url}/").json()["status"] == "paid"

    # The milling workshop declines its first step through its MES: the step moves elsewhere.
    milling = Job.objects.filter(order_id=order["id"], process__code="cnc-3axis").first()
    decliner = api_client_for(member_for(small_network, milling.workshop_id))
    with capture(execute=True):
        response = decliner.post(
            f"{API}/jobs/{milling.pk}/decline/", {"reason": "Spindle fully booked"}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    moved = Job.objects.get(
        order_id=order["id"], step_key=milling.step_key, job_key=milling.job_key, status="offered"
    )
    assert moved.workshop_id != milling.workshop_id

    for job in Job.objects.filter(order_id=order["id"], status="offered").order_by("planned_start"):
        worker = api_client_for(member_for(small_network, job.workshop_id))
        assert worker.post(f"{API}/jobs/{job.pk}/accept/").status_code == 200
    for job in Job.objects.filter(order_id=order["id"], status="accepted").order_by(
        "planned_start"
    ):
        user = member_for(small_network, job.workshop_id)
        worker = api_client_for(user)
        with capture(execute=True):
            assert worker.post(f"{API}/jobs/{job.pk}/start/").status_code == 200
            progress = worker.post(
                f"{API}/jobs/{job.pk}/progress/", {"percent": 50, "note": "halfway"}, format="json"
            )
            assert progress.json()["progress_percent"] == 50
            assert worker.post(f"{API}/jobs/{job.pk}/complete/").status_code == 200
        for leg in worker.get(f"{API}/shipments/", {"order": order["id"]}).json()["results"]:
            if leg["status"] != "planned" or leg["origin"]["id"] != job.workshop_id:
                continue
            if (
                Job.objects.filter(order_id=order["id"], job_key=leg["job_key"])
                .filter(workshop_id=job.workshop_id)
                .exclude(status__in=["done", "declined", "superseded", "cancelled"])
                .exists()
            ):
                continue
            with capture(execute=True):
                handed = worker.post(
                    f"{API}/shipments/{leg['id']}/hand-over/",
                    {"tracking_number": "TRK1"},
                    format="json",
                )
                assert handed.status_code == 200, handed.json()
                if not leg["to_customer"]:
                    receiver = api_client_for(member_for(small_network, leg["destination"]["id"]))
                    received = receiver.post(f"{API}/shipments/{leg['id']}/receive/")
                    assert received.json()["status"] == "delivered"

    body = alice.get(f"{url}/").json()
    assert body["status"] == "shipped"

    # Reviews open only once the order is completed.
    done_shop = Job.objects.filter(order_id=order["id"], status="done").first().workshop_id
    early = alice.post(f"{url}/reviews/", {"workshop": done_shop, "rating": 5}, format="json")
    assert early.status_code == 409

    with capture(execute=True):
        assert alice.post(f"{url}/confirm-delivery/").json()["status"] == "delivered"
        assert alice.post(f"{url}/complete/").json()["status"] == "completed"

    review = alice.post(
        f"{url}/reviews/", {"workshop": done_shop, "rating": 5, "comment": "Great"}, format="json"
    )
    assert review.status_code == 201, review.json()
    again = alice.post(f"{url}/reviews/", {"workshop": done_shop, "rating": 4}, format="json")
    assert again.status_code == 409
    assert Review.objects.get().rating == 5

    body = alice.get(f"{url}/").json()
    statuses = [e["to_status"] for e in body["events"] if e["kind"] == "status"]
    assert statuses == ["placed", "paid", "in_production", "shipped", "delivered", "completed"]
