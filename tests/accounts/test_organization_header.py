"""The X-Organization header of an API client: an organization the user belongs to is acted
for; any other value is refused with the API's error body (403 for an organization that is
not theirs, 400 for a value that names none), never answered in another organization."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories.orders import JobFactory
from tests.helpers import error_of, organization_of, workshop_of

pytestmark = pytest.mark.django_db


def _token_client(user, header: str | None = None) -> APIClient:
    """A real token, so that the API's own authentication classes run."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_ORGANIZATION=header)
    return client


def test_another_organizations_id_is_refused_with_its_number(customer_alice, workshop_bob):
    other = organization_of(workshop_bob)
    response = _token_client(customer_alice, str(other.pk)).get("/api/v1/orders/")
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "not_a_member",
        "message": f"You are not a member of organization {other.pk}.",
    }


def test_another_organizations_slug_is_refused(customer_alice, workshop_bob):
    other = organization_of(workshop_bob)
    response = _token_client(customer_alice, other.slug).get("/api/v1/me/")
    assert response.status_code == 403
    assert error_of(response)["message"] == f"You are not a member of organization {other.slug}."


def test_a_workshop_naming_the_wrong_organization_reads_no_job(workshop_bob):
    """Before: the header was ignored and the job list answered for bob's own workshop."""
    job = JobFactory(workshop=workshop_of(workshop_bob))
    stranger = OrganizationFactory(kind="workshop")
    response = _token_client(workshop_bob, str(stranger.pk)).get("/api/v1/jobs/")
    assert response.status_code == 403
    assert str(job.pk) not in response.content.decode()


@pytest.mark.parametrize("header", ["999999", "-1", "no-such-organization"])
def test_an_organization_that_is_not_theirs_is_forbidden(customer_alice, header):
    response = _token_client(customer_alice, header).get("/api/v1/me/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_a_member"


@pytest.mark.parametrize("header", ["²", "9" * 30, " ", "", "acme corp", "x" * 221])
def test_a_value_that_names_no_organization_is_a_bad_request(customer_alice, header):
    response = _token_client(customer_alice, header).get("/api/v1/me/")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "organization_header_invalid",
        "message": "Name an organization in X-Organization by its id or slug, or leave it out.",
    }


def test_a_refused_header_changes_nothing(customer_alice, workshop_bob):
    other = organization_of(workshop_bob)
    response = _token_client(customer_alice, str(other.pk)).post(
        "/api/v1/organizations/", {"name": "Made by mistake", "kind": "customer"}, format="json"
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(organization__name="Made by mistake").exists()


def test_their_own_organization_by_id_or_slug_is_acted_for(customer_alice, workshop_bob):
    acme = organization_of(customer_alice)
    MembershipFactory(user=customer_alice, organization=organization_of(workshop_bob))
    for header in (str(acme.pk), acme.slug, f" {acme.pk} "):
        response = _token_client(customer_alice, header).get("/api/v1/me/")
        assert response.status_code == 200, header
        assert response.json()["active_organization"] == acme.pk


def test_without_the_header_the_active_organization_is_used(customer_alice):
    response = _token_client(customer_alice).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["active_organization"] == organization_of(customer_alice).pk


def test_the_sites_own_switch_still_works_through_the_session(client, customer_alice):
    """The browser's API calls carry no header: the session's choice is kept, unchecked here."""
    acme = organization_of(customer_alice)
    second = OrganizationFactory(kind="customer")
    MembershipFactory(user=customer_alice, organization=second)
    client.force_login(customer_alice)
    client.post("/organizations/switch/", {"organization": second.pk})
    assert client.get("/api/v1/me/").json()["active_organization"] == second.pk
    assert client.get("/api/v1/me/", HTTP_X_ORGANIZATION=str(acme.pk)).status_code == 200
    response = client.get("/api/v1/me/", HTTP_X_ORGANIZATION="999999")
    assert response.status_code == 403


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r\n")))
def test_any_header_is_answered_for_their_organization_or_refused_never_a_5xx(
    customer_alice, header
):
    acme = organization_of(customer_alice)
    response = _token_client(customer_alice, header).get("/api/v1/me/")
    if header.strip() in (str(acme.pk), acme.slug):
        assert response.status_code == 200
        assert response.json()["active_organization"] == acme.pk
    else:
        assert response.status_code in (400, 403)
        assert set(error_of(response)) == {"code", "message"}
