"""A member of organization A never sees B's data, through the web or the API."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.selectors import ACTIVE_ORGANIZATION_SESSION_KEY
from tests.factories import MembershipFactory
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db


def test_a_member_sees_their_organization_page(client, customer_alice):
    organization = customer_alice.memberships.get().organization
    client.force_login(customer_alice)
    response = client.get(reverse("organization_detail", args=[organization.pk]))
    assert response.status_code == 200
    assert "alice@example.com" in response.content.decode()


def test_another_organizations_page_is_not_found_for_outsiders(
    client, customer_alice, workshop_bob
):
    other = workshop_bob.memberships.get().organization
    client.force_login(customer_alice)
    response = client.get(reverse("organization_detail", args=[other.pk]))
    assert response.status_code == 404
    assert "bob@example.com" not in response.content.decode()


def test_operators_see_every_organization(client, operator_olga, workshop_bob):
    other = workshop_bob.memberships.get().organization
    client.force_login(operator_olga)
    assert client.get(reverse("organization_detail", args=[other.pk])).status_code == 200


def test_the_api_lists_only_the_users_own_organizations(customer_alice, workshop_bob):
    response = api_client_for(customer_alice).get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["results"]] == ["Acme Robotics"]


@pytest.mark.parametrize("suffix", ["", "members/", "invitations/"])
def test_the_api_answers_not_found_for_other_organizations(customer_alice, workshop_bob, suffix):
    other = workshop_bob.memberships.get().organization
    response = api_client_for(customer_alice).get(f"/api/v1/organizations/{other.pk}/{suffix}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_outsider_cannot_change_roles_through_the_api(customer_alice, workshop_bob):
    other = workshop_bob.memberships.get()
    response = api_client_for(customer_alice).patch(
        f"/api/v1/organizations/{other.organization_id}/members/{other.pk}/",
        {"role": "member"},
        format="json",
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.role == "owner"


def test_the_x_organization_header_cannot_reach_a_foreign_organization(
    client, customer_alice, workshop_bob
):
    other = workshop_bob.memberships.get().organization
    client.force_login(customer_alice)
    response = client.get("/api/v1/me/", HTTP_X_ORGANIZATION=str(other.pk))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        f"You are not a member of organization {other.pk}."
    )


def test_switching_to_a_foreign_organization_is_refused(client, customer_alice, workshop_bob):
    other = workshop_bob.memberships.get().organization
    client.force_login(customer_alice)
    response = client.post(reverse("organization_switch"), {"organization": other.pk})
    assert response.status_code == 404
    assert client.session.get(ACTIVE_ORGANIZATION_SESSION_KEY) is None


def test_a_user_in_two_organizations_switches_between_them(client, customer_alice):
    workshop = MembershipFactory(
        user=customer_alice, organization__name="Alice's Workshop", organization__kind="workshop"
    ).organization
    client.force_login(customer_alice)
    client.post(reverse("organization_switch"), {"organization": workshop.pk})
    assert client.session[ACTIVE_ORGANIZATION_SESSION_KEY] == workshop.pk
    page = client.get(reverse("dashboard")).content.decode()
    assert "Workshop dashboard" in page


def test_plain_members_see_members_but_no_management_controls(client, customer_alice):
    organization = customer_alice.memberships.get().organization
    member = MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user
    client.force_login(member)
    page = client.get(reverse("organization_detail", args=[organization.pk])).content.decode()
    assert "alice@example.com" in page
    assert "Send invitation" not in page
