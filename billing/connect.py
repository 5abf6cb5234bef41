"""Connected accounts: onboarding a party with the provider and keeping its state current."""

from __future__ import annotations

from accounts.models import Organization, User
from accounts.permissions import require_manager
from billing.models import ConnectedAccount
from billing.providers import get_provider
from billing.providers.base import OnboardRequest


def connected_account_onboard(
    *,
    user: User,
    organization: Organization,
    refresh_url: str,
    return_url: str,
    country: str = "DE",
    provider: str = "stripe",
) -> str:
    """The provider's onboarding URL for the organization, opening its account on first use."""
    require_manager(user=user, organization=organization)
    existing = ConnectedAccount.objects.filter(organization=organization).first()
    result = get_provider(provider).onboard(
        OnboardRequest(
            organization_id=organization.pk,
            email=user.email,
            country=country,
            refresh_url=refresh_url,
            return_url=return_url,
            existing_account_id=existing.provider_account_id if existing else "",
        )
    )
    if existing is None:
        ConnectedAccount.objects.get_or_create(
            organization=organization,
            defaults={"provider": provider, "provider_account_id": result.account_id},
        )
    return result.url


def connected_account_sync(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from the provider (after ``account.updated``) and store its state.

    ``active`` means it can receive transfers (the ``transfers`` capability is active);
    ``restricted``: details submitted but the capability is not (yet) active.
    """
    state = get_provider(account.provider).retrieve_account(account.provider_account_id)
    if state.transfers_active:
        status = ConnectedAccount.Status.ACTIVE
    elif state.details_submitted:
        status = ConnectedAccount.Status.RESTRICTED
    else:
        status = ConnectedAccount.Status.PENDING
    account.payouts_enabled = state.payouts_enabled
    account.transfers_active = state.transfers_active
    account.details_submitted = state.details_submitted
    account.requirements_due = state.requirements_due
    account.status = status
    account.save()
    return account
