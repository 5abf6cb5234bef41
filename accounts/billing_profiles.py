"""The organization's billing profile: who it is on invoices, set by its owners and admins.

The VAT ID is read by ``accounts.vat_ids`` (offline: format and check digits; the one parser,
which checkout and invoices use too) and checked against the profile's country: a German
company cannot give a French VAT ID, because the VAT treatment of its orders follows the
country of the ID (reverse charge for a valid ID of another member state).
"""

from __future__ import annotations

from django.db import transaction

from accounts.errors import DomainError
from accounts.models import BillingProfile, Organization, User
from accounts.permissions import require_manager
from accounts.places import PlaceNotFound, country_code, country_name
from accounts.vat_ids import VatIdInvalid, vat_id_parse


class BillingProfileInvalid(DomainError):
    code = "billing_profile_invalid"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def vat_id_for_country(text: str, *, country: str) -> str:
    """The VAT ID in compact form if it is a valid EU VAT ID of ``country``; empty text
    gives ''. BillingProfileInvalid (field ``vat_id``) otherwise, with the reason. The
    profile and the checkout both check with it: an ID of another country would otherwise
    look like a reverse-charge sale."""
    if not any(ch.isalnum() for ch in text or ""):
        return ""
    try:
        parsed = vat_id_parse(text)
    except VatIdInvalid as error:
        raise BillingProfileInvalid(str(error), field="vat_id") from error
    if parsed.country != country:
        raise BillingProfileInvalid(
            f"{parsed.number} is a VAT ID of {country_name(parsed.country)},"
            f" not of {country_name(country)}: give the VAT ID of the country above.",
            field="vat_id",
        )
    return parsed.number


def billing_profile_of(*, organization: Organization) -> BillingProfile | None:
    return BillingProfile.objects.filter(organization=organization).first()


def billing_profile_get_for_manager(
    *, user: User, organization: Organization
) -> BillingProfile | None:
    """The profile (None if not set yet) for an owner or admin; PermissionDenied otherwise."""
    require_manager(user=user, organization=organization)
    return billing_profile_of(organization=organization)


def billing_profile_set(
    *,
    user: User,
    organization: Organization,
    legal_name: str,
    street: str,
    postcode: str,
    city: str,
    country: str,
    vat_id: str = "",
) -> BillingProfile:
    """Create or replace the organization's billing profile (owners and admins only).
    Orders already placed keep the details they were placed with."""
    require_manager(user=user, organization=organization)
    values = {
        "legal_name": legal_name.strip(),
        "street": street.strip(),
        "postcode": postcode.strip().upper(),
        "city": city.strip(),
    }
    for field, value in values.items():
        if not value:
            label = field.replace("_", " ")
            raise BillingProfileInvalid(f"The {label} is needed on invoices.", field=field)
    try:
        code = country_code(country)
    except PlaceNotFound as error:
        raise BillingProfileInvalid(str(error), field="country") from error
    compact = vat_id_for_country(vat_id, country=code)
    with transaction.atomic():
        profile, _created = BillingProfile.objects.update_or_create(
            organization=organization,
            defaults={**values, "country": code, "vat_id": compact, "updated_by": user},
        )
    return profile
