"""Organizations, memberships and invitations: the rules behind the pages and the API."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.errors import InvitationInvalid, LastOwner, PermissionDenied
from accounts.models import Membership, Organization
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_an_organization_makes_the_creator_its_owner():
    user = UserFactory()
    organization = services.organization_create(user=user, name="  Acme  ", kind="customer")
    assert organization.name == "Acme"
    assert organization.slug == "acme"
    assert organization.memberships.get().role == Membership.Role.OWNER


def test_two_organizations_with_the_same_name_get_distinct_slugs():
    user = UserFactory()
    first = services.organization_create(user=user, name="Acme", kind="customer")
    second = services.organization_create(user=user, name="Acme", kind="workshop")
    assert first.slug != second.slug


def test_nobody_can_create_a_platform_organization_by_themselves():
    with pytest.raises(PermissionDenied):
        services.organization_create(user=UserFactory(), name="Fake ops", kind="platform")
    assert not Organization.objects.filter(kind="platform").exists()


def test_an_invitation_is_mailed_and_accepted_by_the_invited_address(
    customer_alice, django_capture_on_commit_callbacks
):
    organization = customer_alice.memberships.get().organization
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            user=customer_alice, organization=organization, email="Dave@Example.com", role="admin"
        )
    assert mail.outbox[-1].to == ["dave@example.com"]
    assert invitation.token in mail.outbox[-1].body

    dave = UserFactory(email="dave@example.com")
    membership = services.invitation_accept(user=dave, token=invitation.token)
    assert membership.organization == organization
    assert membership.role == "admin"


def test_an_invitation_works_once(customer_alice):
    organization = customer_alice.memberships.get().organization
    invitation = services.invitation_create(
        user=customer_alice, organization=organization, email="dave@example.com", role="member"
    )
    dave = UserFactory(email="dave@example.com")
    services.invitation_accept(user=dave, token=invitation.token)
    with pytest.raises(InvitationInvalid, match="already been used"):
        services.invitation_accept(user=dave, token=invitation.token)


def test_an_invitation_for_someone_else_is_refused(customer_alice):
    organization = customer_alice.memberships.get().organization
    invitation = services.invitation_create(
        user=customer_alice, organization=organization, email="dave@example.com", role="member"
    )
    eve = UserFactory(email="eve@example.com")
    with pytest.raises(InvitationInvalid, match=r"sent to dave@example\.com"):
        services.invitation_accept(user=eve, token=invitation.token)
    assert not organization.memberships.filter(user=eve).exists()


def test_an_expired_invitation_is_refused(customer_alice):
    organization = customer_alice.memberships.get().organization
    invitation = services.invitation_create(
        user=customer_alice, organization=organization, email="dave@example.com", role="member"
    )
    dave = UserFactory(email="dave@example.com")
    with (
        time_machine.travel(timezone.now() + timedelta(days=15)),
        pytest.raises(InvitationInvalid, match="expired"),
    ):
        services.invitation_accept(user=dave, token=invitation.token)


def test_a_plain_member_cannot_invite(customer_alice):
    organization = customer_alice.memberships.get().organization
    member = MembershipFactory(organization=organization, role="member").user
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            user=member, organization=organization, email="x@example.com", role="member"
        )


def test_an_admin_cannot_hand_out_the_owner_role(customer_alice):
    organization = customer_alice.memberships.get().organization
    admin = MembershipFactory(organization=organization, role="admin").user
    with pytest.raises(PermissionDenied, match="owner"):
        services.invitation_create(
            user=admin, organization=organization, email="x@example.com", role="owner"
        )


def test_outsiders_cannot_invite_into_an_organization(customer_alice, workshop_bob):
    organization = customer_alice.memberships.get().organization
    with pytest.raises(PermissionDenied, match="not a member"):
        services.invitation_create(
            user=workshop_bob, organization=organization, email="x@example.com", role="member"
        )


def test_the_last_owner_can_neither_leave_nor_be_demoted(customer_alice):
    membership = customer_alice.memberships.get()
    with pytest.raises(LastOwner):
        services.membership_remove(user=customer_alice, membership=membership)
    with pytest.raises(LastOwner):
        services.membership_change_role(user=customer_alice, membership=membership, role="member")
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_an_owner_can_leave_once_someone_else_owns_the_organization(customer_alice):
    membership = customer_alice.memberships.get()
    other = MembershipFactory(organization=membership.organization, role="member")
    services.membership_change_role(user=customer_alice, membership=other, role="owner")
    services.membership_remove(user=customer_alice, membership=membership)
    assert list(membership.organization.memberships.values_list("role", flat=True)) == ["owner"]


def test_a_member_may_leave_by_themselves(customer_alice):
    organization = customer_alice.memberships.get().organization
    member = MembershipFactory(organization=organization, role="member")
    services.membership_remove(user=member.user, membership=member)
    assert not organization.memberships.filter(pk=member.pk).exists()
