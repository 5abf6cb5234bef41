"""Races on the real PostgreSQL: rules hold when two requests arrive at the same moment."""

import functools

import pytest

from accounts import services
from accounts.errors import LastOwner
from accounts.models import Membership
from tests.factories import MembershipFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_owners_leaving_at_once_leave_one_owner_behind(postgres):
    first = MembershipFactory(role=Membership.Role.OWNER)
    second = MembershipFactory(organization=first.organization, role=Membership.Role.OWNER)
    for _ in range(5):
        outcomes = in_parallel(
            functools.partial(services.membership_remove, user=first.user, membership=first),
            functools.partial(services.membership_remove, user=second.user, membership=second),
        )
        owners = Membership.objects.filter(organization=first.organization, role="owner")
        assert owners.count() == 1
        assert sum(isinstance(o, LastOwner) for o in outcomes) == 1
        # Restore both owners for the next round.
        survivor = owners.get()
        gone = first if survivor.pk == second.pk else second
        gone.pk = None
        gone.save()
        first, second = survivor, gone


def test_one_invitation_accepted_twice_at_once_makes_one_membership(postgres, customer_alice):
    from tests.factories import UserFactory

    organization = customer_alice.memberships.get().organization
    invitation = services.invitation_create(
        user=customer_alice, organization=organization, email="dave@example.com", role="member"
    )
    dave = UserFactory(email="dave@example.com")
    outcomes = in_parallel(
        *[lambda: services.invitation_accept(user=dave, token=invitation.token)] * 4
    )
    assert organization.memberships.filter(user=dave).count() == 1
    assert sum(isinstance(o, Membership) for o in outcomes) == 1
