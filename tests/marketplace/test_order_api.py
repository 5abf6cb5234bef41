"""The order API for every persona: quotes, orders, jobs (a workshop's MES), shipments.

Who sees what follows the order page: the customer and operators see every step and leg, a
workshop only its own steps and the legs it sends or receives, a carrier only its legs. The
whole story runs once through the API on the small network with the real matcher.
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization
from billing import services as billing
from billing.models import Payment
from billing.money import Money
from marketplace.designs.models import Design, DesignRevision
from marketplace.network.models import Carrier, WeeklyAvailability
from marketplace.orders.models import Job, Message, Order, Review, Shipment
from tests.conftest import api_client_for
from tests.factories import MachineFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.orders import OrderFactory, QuoteOptionFactory, QuoteRequestFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
BRACKET = {
    "volume_mm3": 10342.8,
    "area_mm2": 6436.43,
    "bbox_mm": [53.0, 30.0, 43.5752],
    "convex_hull_volume_mm3": 39783.2,
    "watertight": True,
    "shells": 1,
}
GEAR = {
    "volume_mm3": 7397.13,
    "area_mm2": 3938.63,
    "bbox_mm": [39.9144, 39.9905, 8.0],
    "convex_hull_volume_mm3": 9500.0,
    "watertight": True,
    "shells": 1,
}
MUNICH = {
    "name": "Goods in",
    "address": "Main street 1",
    "city": "Munich",
    "country": "DE",
    "latitude": 48.1351,
    "longitude": 11.5820,
}


@pytest.fixture(autouse=True)
def _fast_matcher(settings):
    settings.QUOTE_TIME_LIMIT_S = 1.0
    settings.MATCHING_WORKERS = 1
    settings.QUOTE_SYNC_MAX_SIZE = 10_000


def organization_of(user) -> Organization:
    return user.memberships.get().organization


def next_monday_at(hour: int) -> datetime:
    today = timezone.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(hour), tzinfo=UTC)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# -- a small world without the solver, for the role matrix ----------------------------------
def _machine(workshop):
    machine = MachineFactory(workshop=workshop)
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=time(6), end_time=time(22))
        for d in range(7)
    )
    return machine


def _job(order, workshop, sequence, status=Job.Status.OFFERED):
    machine = _machine(workshop)
    start = next_monday_at(8) + timedelta(days=sequence)
    return Job.objects.create(
        order=order,
        job_key="line-1",
        step_key=f"step-{sequence}",
        name=f"Step {sequence}",
        process=machine.process,
        workshop=workshop,
        machine=machine,
        sequence=sequence,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        accept_by=start,
        status=status,
        cost_minor=4000,
    )


def _leg(order, origin, destination, carrier):
    return Shipment.objects.create(
        order=order,
        job_key="line-1",
        origin=origin,
        destination=destination,
        carrier=carrier,
        planned_departure=next_monday_at(12),
        planned_arrival=next_monday_at(12) + timedelta(days=1),
        km=500,
        cost_minor=1900,
        co2_g=125000,
    )


def _carrier(name, email):
    organization = OrganizationFactory(name=name, kind=Organization.Kind.LOGISTICS)
    user = UserFactory(email=email)
    MembershipFactory(user=user, organization=organization)
    carrier = Carrier.objects.create(
        organization=organization, countries="DE,NL", base_fee_minor=1500, per_100km_minor=80
    )
    return user, carrier


def _order_for(organization, status="paid"):
    option = QuoteOptionFactory(request=QuoteRequestFactory(organization=organization))
    return OrderFactory(option=option, status=status)


@pytest.fixture
def world(customer_alice, workshop_bob, workshop_charlie, operator_olga):
    """Alice's paid order: a step at Bob's, then one at Charlie's; Carla carries Bob's parts
    to Charlie, Dave carries them on to Alice. Eve's order goes to Charlie only."""
    bob_shop = organization_of(workshop_bob).workshop
    charlie_shop = organization_of(workshop_charlie).workshop
    carla, carla_carrier = _carrier("Rhein Cargo", "carla@example.com")
    dave, dave_carrier = _carrier("Delta Freight", "dave@example.com")
    eve = UserFactory(email="eve@example.com")
    MembershipFactory(user=eve, organization=OrganizationFactory(name="Eve Labs"))

    order = _order_for(organization_of(customer_alice))
    bob_job = _job(order, bob_shop, 0)
    charlie_job = _job(order, charlie_shop, 1)
    to_charlie = _leg(order, bob_shop, charlie_shop, carla_carrier)
    to_alice = _leg(order, charlie_shop, None, dave_carrier)
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


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


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
        _leg(order, world["bob_job"].workshop, None, world["to_charlie"].carrier)


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
def _designs(organization):
    revisions = []
    for name, analysis in (("Bracket", BRACKET), ("Gear", GEAR)):
        design = Design.objects.create(organization=organization, name=name)
        revisions.append(
            DesignRevision.objects.create(
                design=design,
                number=1,
                file=f"designs/{name}.stl",
                original_name=f"{name}.stl",
                format="stl_binary",
                size_bytes=1000,
                sha256="0" * 64,
                status=DesignRevision.Status.ANALYSED,
                analysis=analysis,
            )
        )
    return revisions


def _ask_for_quote(client, revisions, quantity=2):
    lines = [
        {"revision": r.pk, "material": "al-6061", "finish": "anodized", "quantity": quantity}
        for r in revisions
    ]
    return client.post(f"{API}/quotes/", {"lines": lines, "ship_to": MUNICH}, format="json")


def test_a_quote_is_asked_for_listed_and_shown_with_its_options(small_network, customer_alice):
    client = api_client_for(customer_alice)
    response = _ask_for_quote(client, _designs(organization_of(customer_alice)))
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
    response = _ask_for_quote(client, _designs(stranger))
    assert response.status_code == 400
    assert "revision" in error_of(response)["fields"]["lines"]["0"]
    response = client.post(f"{API}/quotes/", {"lines": [], "ship_to": MUNICH}, format="json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "quote_invalid",
        "message": "Add at least one design to the quote.",
    }
    assert not organization_of(customer_alice).quote_requests.exists()


def _pay(order_id, operator, capture):
    payment = Payment.objects.get(order_id=order_id)
    with capture(execute=True):
        billing.payment_confirm_manual(
            operator=operator, payment=payment, amount=Money(payment.amount_minor, payment.currency)
        )


def is_member_of(workshop_id, small_network):
    return {
        small_network["stuttgart"].pk: small_network["bob"],
        small_network["eindhoven"].pk: small_network["charlie"],
    }.get(workshop_id, small_network["nina"])


def test_the_whole_story_through_the_api(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    alice = api_client_for(customer_alice)
    quote = _ask_for_quote(alice, _designs(organization_of(customer_alice))).json()
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

    _pay(order["id"], operator_olga, capture)
    assert alice.get(f"{url}/").json()["status"] == "paid"

    # The milling workshop declines its first step through its MES: the step moves elsewhere.
    milling = Job.objects.filter(order_id=order["id"], process__code="cnc-3axis").first()
    decliner = api_client_for(is_member_of(milling.workshop_id, small_network))
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
        worker = api_client_for(is_member_of(job.workshop_id, small_network))
        assert worker.post(f"{API}/jobs/{job.pk}/accept/").status_code == 200
    for job in Job.objects.filter(order_id=order["id"], status="accepted").order_by(
        "planned_start"
    ):
        user = is_member_of(job.workshop_id, small_network)
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
                    receiver = api_client_for(is_member_of(leg["destination"]["id"], small_network))
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
