"""Webhook signatures: dated within the tolerance both ways; the Connect endpoint's own secret."""

import json
import time

import pytest
from django.urls import include, path

from billing.models import WebhookEvent
from config import urls as config_urls
from tests.fakestripe import sign

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.billing.test_stripe_webhook_signatures"),
]

urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]

URL = "/billing/webhooks/stripe/"
CONNECT_URL = "/billing/webhooks/stripe/connect/"
SECRET = "whsec_platform_test"
CONNECT_SECRET = "whsec_connect_test"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    settings.CELERY_TASK_ALWAYS_EAGER = True


def event_body(event_id="evt_sig_1", event_type="customer.created"):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "data": {"object": {"id": "cus_1", "object": "customer"}},
        }
    ).encode()


def post(client, url, body, signature):
    return client.post(
        url, data=body, content_type="application/json", headers={"Stripe-Signature": signature}
    )


def test_a_signature_dated_an_hour_ahead_is_refused(client):
    body = event_body()
    response = post(client, URL, body, sign(body, secret=SECRET, timestamp=int(time.time()) + 3600))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_signature_dated_an_hour_ago_is_refused(client):
    body = event_body()
    response = post(client, URL, body, sign(body, secret=SECRET, timestamp=int(time.time()) - 3600))

    assert response.status_code == 400


def test_a_signature_a_little_ahead_is_accepted(client):
    body = event_body()
    response = post(client, URL, body, sign(body, secret=SECRET, timestamp=int(time.time()) + 60))

    assert response.status_code == 200


def test_the_connect_endpoint_verifies_with_its_own_secret(client):
    body = event_body("evt_connect_1", "account.updated")

    assert post(client, CONNECT_URL, body, sign(body, secret=SECRET)).status_code == 400
    assert post(client, URL, body, sign(body, secret=CONNECT_SECRET)).status_code == 400
    assert not WebhookEvent.objects.exists()

    response = post(client, CONNECT_URL, body, sign(body, secret=CONNECT_SECRET))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().event_id == "evt_connect_1"


def test_the_connect_endpoint_refuses_a_future_signature(client):
    body = event_body("evt_connect_2", "account.updated")
    signature = sign(body, secret=CONNECT_SECRET, timestamp=int(time.time()) + 3600)

    assert post(client, CONNECT_URL, body, signature).status_code == 400
