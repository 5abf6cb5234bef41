"""The API frame: token authentication, /me/, organizations, members, error bodies."""

import pytest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db


def test_anonymous_requests_get_a_401_in_the_one_error_shape(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


def test_a_token_created_in_the_web_ui_authenticates_until_revoked(client, customer_alice):
    client.force_login(customer_alice)
    page = client.post(reverse("token_list")).content.decode()
    token = page.split('data-testid="new-token">')[1].split("<")[0]

    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = machine.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"

    stored = AuthToken.objects.get(user=customer_alice)
    assert token not in (stored.digest, stored.token_key)  # only a digest is kept
    client.post(reverse("token_list"), {"action": "revoke", "token_id": stored.pk})
    assert machine.get("/api/v1/me/").status_code == 401


def test_another_users_token_cannot_be_revoked(client, customer_alice, workshop_bob):
    _, _ = AuthToken.objects.create(user=workshop_bob)
    stored = AuthToken.objects.get(user=workshop_bob)
    client.force_login(customer_alice)
    client.post(reverse("token_list"), {"action": "revoke", "token_id": stored.pk})
    assert AuthToken.objects.filter(pk=stored.pk).exists()


def test_a_wrong_token_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_me_shows_memberships_and_the_active_organization(customer_alice):
    response = api_client_for(customer_alice).get("/api/v1/me/")
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["memberships"][0]["organization"]["name"] == "Acme Robotics"
    assert body["active_organization"] == body["memberships"][0]["organization"]["id"]


def test_me_can_be_renamed(customer_alice):
    client = api_client_for(customer_alice)
    response = client.patch("/api/v1/me/", {"full_name": "Alice Liddell"}, format="json")
    assert response.status_code == 200
    assert response.json()["full_name"] == "Alice Liddell"


def test_creating_an_organization_through_the_api(customer_alice):
    client = api_client_for(customer_alice)
    response = client.post(
        "/api/v1/organizations/", {"name": "Side Shop", "kind": "workshop"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "workshop"
    assert client.get("/api/v1/organizations/").json()["count"] == 2


def test_invalid_fields_are_reported_per_field(customer_alice):
    response = api_client_for(customer_alice).post(
        "/api/v1/organizations/", {"name": "", "kind": "platform"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "kind"}


def test_owners_manage_members_and_invitations_through_the_api(customer_alice):
    organization = customer_alice.memberships.get().organization
    client = api_client_for(customer_alice)
    invited = client.post(
        f"/api/v1/organizations/{organization.pk}/invitations/",
        {"email": "dave@example.com", "role": "member"},
        format="json",
    )
    assert invited.status_code == 201
    dave = UserFactory(email="dave@example.com")
    token = organization.invitations.get().token
    accepted = api_client_for(dave).post(
        "/api/v1/invitations/accept/", {"token": token}, format="json"
    )
    assert accepted.status_code == 201

    members = client.get(f"/api/v1/organizations/{organization.pk}/members/").json()["results"]
    dave_membership = next(m for m in members if m["email"] == "dave@example.com")
    promoted = client.patch(
        f"/api/v1/organizations/{organization.pk}/members/{dave_membership['id']}/",
        {"role": "admin"},
        format="json",
    )
    assert promoted.json()["role"] == "admin"
    removed = client.delete(
        f"/api/v1/organizations/{organization.pk}/members/{dave_membership['id']}/"
    )
    assert removed.status_code == 204


def test_a_broken_rule_answers_with_its_own_code_and_message(customer_alice):
    membership = customer_alice.memberships.get()
    response = api_client_for(customer_alice).delete(
        f"/api/v1/organizations/{membership.organization_id}/members/{membership.pk}/"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "last_owner"
    assert "at least one owner" in response.json()["error"]["message"]


def test_a_member_without_rights_gets_403(customer_alice):
    organization = customer_alice.memberships.get().organization
    member = MembershipFactory(organization=organization, role="member").user
    response = api_client_for(member).post(
        f"/api/v1/organizations/{organization.pk}/invitations/",
        {"email": "x@example.com", "role": "member"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_lists_are_paginated(customer_alice):
    for index in range(3):
        MembershipFactory(user=customer_alice, organization__name=f"Extra {index}")
    response = api_client_for(customer_alice).get("/api/v1/organizations/?page_size=2")
    body = response.json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_schema_and_the_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/organizations/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_throttling_limits_clients_with_a_clear_error(customer_alice):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    cache.clear()
    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**original, "user": "3/min"}
    client = api_client_for(customer_alice)
    try:
        responses = [client.get("/api/v1/me/") for _ in range(5)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    error = responses[-1].json()["error"]
    assert error["code"] == "throttled"
    assert error["retry_after_s"] > 0


def test_the_openapi_schema_is_valid_and_warning_free():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_me_answers_a_session_login(client, customer_alice):
    """Before: 500 (the lazy user wrapper has no manager) for anyone logged in on the site."""
    client.force_login(customer_alice)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == customer_alice.email


def test_pending_invitations_are_a_page_as_documented(customer_alice):
    """Before: a bare list, while the schema promised a page; creating one answered 201
    where the schema said 200."""
    organization = customer_alice.memberships.get().organization
    client = api_client_for(customer_alice)
    url = f"/api/v1/organizations/{organization.pk}/invitations/"
    for name in ("dave", "erin", "frank"):
        created = client.post(url, {"email": f"{name}@example.com", "role": "member"})
        assert created.status_code == 201
        assert created.json()["email"] == f"{name}@example.com"
    page = client.get(url, {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]

    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/v1/organizations/{id}/invitations/"]
    assert "201" in operations["post"]["responses"]
    assert "200" not in operations["post"]["responses"]
    listed = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("/PaginatedInvitationList")
