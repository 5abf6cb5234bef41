"""Input a fuzzer or an attacker sends: each once answered 500, now a 4xx in the API's shape
(or the page's own message) that changes nothing."""

import json

import numpy as np
import pytest
from django.test import Client

from marketplace.designs.geometry import DesignFileError, load_design
from marketplace.designs.models import Design
from marketplace.network.models import Machine
from marketplace.orders.quotes import MAX_QUANTITY
from tests.factories import MachineFactory, MembershipFactory, UserFactory
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import api_client_for, error_of, organization_of, workshop_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/designs/abc/",
        "/api/v1/machines/abc/status-history/",
        "/api/v1/orders/1e3/",
        "/api/v1/notifications/x/",
        "/api/v1/designs/%C2%B2/",
    ],
)
def test_an_id_that_is_not_a_number_is_not_found(customer_alice, url):
    response = api_client_for(customer_alice).get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("header", "status"), [("²", 400), ("9" * 30, 400), ("-1", 403), (" ", 400)]
)
def test_an_odd_organization_header_is_refused_not_ignored(client, customer_alice, header, status):
    """Before: ignored, and the request answered in the user's own organization."""
    client.force_login(customer_alice)  # the API's own authentication runs (not forced)
    response = client.get("/api/v1/me/", HTTP_X_ORGANIZATION=header)
    assert response.status_code == status
    assert set(error_of(response)) == {"code", "message"}


def test_a_superscript_design_id_on_the_quote_page_is_ignored(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get("/quotes/new/?design=²&design=abc").status_code == 200


def test_a_workshop_with_several_members_reads_its_own_profile(workshop_bob):
    workshop = workshop_of(workshop_bob)
    for n in range(3):
        MembershipFactory(
            user=UserFactory(email=f"crew{n}@example.com"), organization=workshop.organization
        )
    response = api_client_for(workshop_bob).get(f"/api/v1/workshops/{workshop.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == workshop.pk


def test_deleting_a_machine_that_jobs_refer_to_is_a_conflict(workshop_bob, customer_alice):
    workshop = workshop_of(workshop_bob)
    machine = MachineFactory(workshop=workshop)
    JobFactory(workshop=workshop, machine=machine)
    response = api_client_for(workshop_bob).delete(f"/api/v1/machines/{machine.pk}/")
    assert response.status_code == 409, response.content
    assert "jobs" in error_of(response)["message"]
    assert Machine.objects.filter(pk=machine.pk).exists()


def test_deleting_a_quoted_design_is_a_conflict_or_refused(customer_alice):
    from tests.factories.orders import QuoteLineFactory

    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    QuoteLineFactory(revision=revision)
    response = api_client_for(customer_alice).delete(f"/api/v1/designs/{revision.design_id}/")
    assert response.status_code in (400, 409), response.content
    assert error_of(response)["message"]
    assert Design.objects.filter(pk=revision.design_id).exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/quotes/"),
        ("post", "/api/v1/designs/"),  # its viewset named its own parsers: a RecursionError 500
        ("put", "/api/v1/designs/{design}/confidentiality/"),
    ],
)
def test_json_nested_too_deeply_is_a_parse_error(customer_alice, method, url):
    design = Design.objects.create(organization=organization_of(customer_alice), name="Deep")
    body = "[" * 100_000 + "]" * 100_000
    response = getattr(api_client_for(customer_alice), method)(
        url.format(design=design.pk), data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in error_of(response)["message"]


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400"])
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/quotes/", '{{"lines": [{{"revision": {n}, "material": "pla", "quantity": 1}}]}}'),
        ("/api/v1/quotes/", '{{"lines": [{{"revision": 1, "material": "pla", "quantity": {n}}}]}}'),
        ("/api/v1/orders/1/reviews/", '{{"workshop": {n}, "rating": 5}}'),
        ("/api/v1/designs/", '{{"name": "Huge", "confidential": {n}}}'),
    ],
)
def test_a_number_beyond_a_float_is_a_parse_error_not_an_overflow(
    customer_alice, url, body, number
):
    """``1e999`` reads as infinity; an id or integer field made an OverflowError (500) of it."""
    designs = Design.objects.count()
    response = api_client_for(customer_alice).post(
        url, data=body.format(n=number), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "too large to read" in error_of(response)["message"]
    assert Design.objects.count() == designs


@pytest.mark.parametrize("token", [b"\xff\xfe", b"abc\xc3", b"\x80" * 70])
def test_a_token_that_is_not_utf8_is_refused_not_a_server_error(customer_alice, token):
    """knox decoded the header as UTF-8 and raised: a 500 on every API URL, signed in or not."""
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/v1/me/", HTTP_AUTHORIZATION=b"Token ".decode() + token.decode("latin-1")
    )
    assert response.status_code == 401
    assert error_of(response)["message"] == "Invalid token."


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/billing/statements/orders/99999999999999999999/",
        "/api/v1/billing/statements/orders/99999999999999999999/pdf/",
        "/billing/statements/orders/99999999999999999999/",
        "/billing/statements/orders/99999999999999999999/pdf/",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client, customer_alice, url):
    """Django's <int:> took twenty digits and an __in lookup overflowed (500)."""
    client.force_login(customer_alice)
    assert client.get(url).status_code == 404


def test_a_body_over_the_limit_gets_the_api_error_in_json(customer_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client_for(customer_alice).post(
        "/api/v1/quotes/", data=json.dumps({"x": "y" * 4096}), content_type="application/json"
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_options_on_notification_preferences_describes_them(customer_alice):
    response = api_client_for(customer_alice).options("/api/v1/notifications/preferences/")
    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]


@pytest.mark.parametrize("moment", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_capacity_far_in_time_is_refused_with_a_message(workshop_bob, moment):
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    response = api_client_for(workshop_bob).get(
        "/api/v1/capacity/", {"machine": machine.pk, "start": moment}
    )
    assert response.status_code == 400
    assert "2000" in str(error_of(response)["fields"]["start"])


def test_capacity_of_a_huge_machine_id_is_refused(workshop_bob):
    response = api_client_for(workshop_bob).get("/api/v1/capacity/", {"machine": 10**19})
    assert response.status_code == 400


@pytest.mark.parametrize("quantity", [10**19, 2**31, MAX_QUANTITY + 1])
def test_a_quantity_beyond_the_maximum_is_refused(customer_alice, quantity):
    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    response = api_client_for(customer_alice).post(
        "/api/v1/quotes/",
        {
            "lines": [{"revision": revision.pk, "material": "pla", "quantity": quantity}],
            "ship_to": {"name": "A", "city": "Berlin", "country": "DE"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "quantity" in json.dumps(error_of(response)["fields"])


@pytest.mark.parametrize("percent", ["abc", "²", "1e3"])
def test_a_progress_form_with_words_is_refused_in_words(client, workshop_bob, percent):
    workshop = workshop_of(workshop_bob)
    job = JobFactory(workshop=workshop, status="in_progress")
    client.force_login(workshop_bob)
    response = client.post(f"/jobs/{job.pk}/progress/", {"percent": percent}, follow=True)
    assert response.status_code == 200
    assert "percentage" in response.content.decode()
    job.refresh_from_db()
    assert job.progress_percent == 0


def test_a_review_form_with_words_for_ids_is_not_a_server_error(customer_alice):
    order = OrderFactory(option__request__organization=organization_of(customer_alice))
    client = Client()
    client.force_login(customer_alice)
    response = client.post(f"/orders/{order.pk}/reviews/", {"workshop": "²", "rating": "five"})
    assert response.status_code == 404
    assert not order.reviews.exists()


def test_a_design_upload_naming_a_design_in_words_is_not_found(customer_alice):
    client = Client()
    client.force_login(customer_alice)
    response = client.post("/designs/upload/", {"design": "abc"})
    assert response.status_code == 404


def test_a_signed_webhook_without_an_id_is_refused(client, settings, fake_stripe):
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    for event in ({"type": "payment_intent.succeeded"}, {"id": ["x"], "type": "t"}, []):
        body = json.dumps(event).encode()
        response = client.post(
            "/billing/webhooks/stripe/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": fake_stripe.sign(body)},
        )
        assert response.status_code == 400, event


def _stl(vertices: np.ndarray) -> bytes:
    records = np.zeros(
        len(vertices) // 3,
        dtype=[("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")],
    )
    records["vertices"] = vertices.reshape(-1, 3, 3)
    return b"\0" * 80 + np.uint32(len(records)).tobytes() + records.tobytes()


def test_an_stl_with_huge_coordinates_is_the_customers_error_in_words():
    tetra = np.array(
        [
            [0, 0, 0],
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
            [0, 0, 0],
            [0, 0, 1],
            [1, 0, 0],
            [1, 0, 0],
            [0, 0, 1],
            [0, 1, 0],
        ],
        dtype=float,
    )
    with pytest.raises(DesignFileError) as refused:
        load_design(_stl(tetra * 3e38), unit="inch")
    assert refused.value.code == "out_of_range"
    assert "kilometre" in refused.value.message
    assert load_design(_stl(tetra * 10), unit="mm").mesh.triangle_count == 4


@pytest.mark.parametrize("url", ["/api/v1/orders/-1/", "/api/v1/no-such-thing/", "/api/v2/"])
def test_an_api_url_that_matches_no_route_answers_in_the_error_body(customer_alice, url):
    """Before: the site's HTML page, where the schema promises the JSON error body."""
    response = api_client_for(customer_alice).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_a_site_url_that_matches_no_route_keeps_the_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [{"revision": 1, "material": "al\u0000", "quantity": 1}]},
        {"ship_to": {"name\u0000": "A"}},
    ],
)
def test_a_nul_character_anywhere_in_json_is_a_parse_error(customer_alice, body):
    response = api_client_for(customer_alice).post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 400
    assert "NUL" in error_of(response)["message"]
