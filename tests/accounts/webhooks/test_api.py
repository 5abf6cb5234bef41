"""The webhook API: owners and admins of the active organization only; bad input is a 400."""

import pytest

from accounts.models import Membership
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from marketplace.api.webhook_events import EVENT_SERIALIZERS
from tests.accounts.webhooks.receiver import running_receiver
from tests.accounts.webhooks.story import emit_paid, endpoint_for
from tests.factories import MembershipFactory
from tests.helpers import api_client_for, error_of, ids, organization_of

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints/"
DELIVERIES = "/api/v1/webhook-deliveries/"


@pytest.fixture
def acme_member(customer_alice):
    return MembershipFactory(
        organization=organization_of(customer_alice), role=Membership.Role.MEMBER
    ).user


def _create(client, **overrides):
    body = {"url": "https://erp.acme.example/hooks", "event_types": ["order.paid"]}
    return client.post(ENDPOINTS, {**body, **overrides}, format="json")


def test_an_owner_registers_an_endpoint_and_sees_its_secret_once(customer_alice):
    client = api_client_for(customer_alice)
    response = _create(client, description="SAP B1")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["order.paid"]
    assert created["is_active"] is True
    listed = client.get(ENDPOINTS).json()["results"]
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{ENDPOINTS}{created['id']}/").json()


def test_rotating_gives_a_new_secret_once(customer_alice):
    client = api_client_for(customer_alice)
    created = _create(client).json()
    rotated = client.post(f"{ENDPOINTS}{created['id']}/rotate-secret/").json()
    assert rotated["secret"] != created["secret"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.signing_secrets() == [rotated["secret"], created["secret"]]


def test_a_plain_member_may_not_see_or_manage_webhooks(customer_alice, acme_member):
    endpoint = endpoint_for(customer_alice, "https://erp.acme.example/hooks")
    client = api_client_for(acme_member)
    for response in (
        client.get(ENDPOINTS),
        _create(client),
        client.get(f"{ENDPOINTS}{endpoint.pk}/"),
        client.delete(f"{ENDPOINTS}{endpoint.pk}/"),
        client.get(DELIVERIES),
    ):
        assert response.status_code == 403
        assert "owner or admin" in error_of(response)["message"]
    assert WebhookEndpoint.objects.count() == 1


def test_another_organizations_endpoints_and_deliveries_are_not_found(
    customer_alice, workshop_bob, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with running_receiver() as receiver:
        bobs = endpoint_for(workshop_bob, receiver.url)
        emit_paid(django_capture_on_commit_callbacks, [bobs.organization_id])
    delivery = WebhookDelivery.objects.get()
    client = api_client_for(customer_alice)
    assert ids(client.get(ENDPOINTS)) == set()
    assert ids(client.get(DELIVERIES)) == set()
    assert ids(client.get(DELIVERIES, {"endpoint": bobs.pk})) == set()
    assert ids(client.get(DELIVERIES, {"endpoint": bobs.pk + 1000})) == set()
    for response in (
        client.get(f"{ENDPOINTS}{bobs.pk}/"),
        client.patch(f"{ENDPOINTS}{bobs.pk}/", {"is_active": False}, format="json"),
        client.delete(f"{ENDPOINTS}{bobs.pk}/"),
        client.get(f"{ENDPOINTS}{bobs.pk}/deliveries/"),
        client.post(f"{ENDPOINTS}{bobs.pk}/ping/"),
        client.post(f"{DELIVERIES}{delivery.pk}/redeliver/"),
    ):
        assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.is_active
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field_or_code"),
    [
        ({"event_types": ["order.exploded"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"url": ""}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url_refused"),
        ({"url": "http://localhost:8000/"}, "url_refused"),
        ({"url": "gopher://erp.acme.example/"}, "url_refused"),
        ({"url": "x" * 600}, "url"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_saves_nothing(
    customer_alice, overrides, field_or_code
):
    response = _create(api_client_for(customer_alice), **overrides)
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"]
    assert field_or_code in (error.get("fields") or {}) or error["code"] == field_or_code
    assert not WebhookEndpoint.objects.exists()


def test_an_owner_edits_disables_and_deletes_an_endpoint(customer_alice):
    client = api_client_for(customer_alice)
    created = _create(client).json()
    url = f"{ENDPOINTS}{created['id']}/"
    changed = client.patch(
        url, {"event_types": ["job.offered", "machine.down"], "is_active": False}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["event_types"] == ["job.offered", "machine.down"]
    assert changed.json()["is_active"] is False
    assert "Disabled by" in changed.json()["disabled_reason"]
    enabled = client.patch(url, {"is_active": True}, format="json").json()
    assert enabled["is_active"] is True
    assert enabled["disabled_reason"] == ""
    assert client.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_ping_and_send_again_reach_the_receiver_and_show_in_the_log(
    customer_alice, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client = api_client_for(customer_alice)
    with running_receiver() as receiver:
        created = _create(client, url=receiver.url).json()
        with django_capture_on_commit_callbacks(execute=True):
            ping = client.post(f"{ENDPOINTS}{created['id']}/ping/")
        assert ping.status_code == 202
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(f"{DELIVERIES}{ping.json()['id']}/redeliver/")
        assert again.status_code == 202
    assert len(receiver.requests) == 2
    log = client.get(f"{ENDPOINTS}{created['id']}/deliveries/").json()["results"]
    assert [row["event_type"] for row in log] == ["ping", "ping"]
    assert {row["status"] for row in log} == {"delivered"}
    assert {row["last_status_code"] for row in log} == {200}
    assert log[0]["event_id"] == log[1]["event_id"]


def test_the_event_catalog_documents_every_event_with_a_valid_example(customer_alice):
    response = api_client_for(customer_alice).get("/api/v1/webhook-events/")
    assert response.status_code == 200
    catalog = response.json()
    assert len(catalog) == 11
    for entry in catalog:
        documented = EVENT_SERIALIZERS[entry["type"]](data=entry["example"])
        assert documented.is_valid(), documented.errors
    schema = api_client_for(customer_alice).get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for entry in catalog:
        assert entry["schema"] in components
    assert "WebhookEvent" in components
