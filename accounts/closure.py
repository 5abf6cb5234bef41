"""Closing an organization, the accounts' part: its people leave and, where they have no other
organization, their personal data is erased. The name of the organization stays: it is the
party named on the invoices and ledger lines that the law requires to be kept.

The marketplace decides whether an organization may close (no open order, no money held) and
erases what it holds (addresses, message authors) before calling this.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Invitation, Membership, Organization, User

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never delivers


def user_erase(*, user: User) -> None:
    """Replaces what identifies the person (e-mail, name) and closes every way in (password,
    second factors, API tokens); the row stays so that records pointing at it still hold."""
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    AuthToken.objects.filter(user=user).delete()
    user.notifications.all().delete()
    user.email = f"erased-{user.pk}@{ERASED_DOMAIN}"
    user.full_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


@transaction.atomic
def organization_people_erase(*, organization: Organization) -> list[int]:
    """Removes every membership and invitation; erases members who belong nowhere else.
    Returns the ids of the erased users."""
    erased = []
    memberships = list(Membership.objects.filter(organization=organization).select_related("user"))
    Invitation.objects.filter(organization=organization).delete()
    Membership.objects.filter(organization=organization).delete()
    for membership in memberships:
        if not Membership.objects.filter(user=membership.user).exists():
            user_erase(user=membership.user)
            erased.append(membership.user.pk)
    # The address book and partner endpoints go too: invoices keep their own copy of the
    # addresses they were issued to, and a closed organization receives no events.
    organization.addresses.all().delete()
    organization.webhook_endpoints.all().delete()
    organization.closed_at = timezone.now()
    organization.save(update_fields=["closed_at"])
    return erased
