"""The organization's address book: addresses are validated and located when saved."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from accounts.errors import DomainError, NotFound
from accounts.models import Address, Organization, User
from accounts.permissions import require_membership
from accounts.places import PlaceNotFound, country_code, place_locate


class AddressInvalid(DomainError):
    code = "address_invalid"


def address_create(
    *,
    user: User,
    organization: Organization,
    kind: str,
    street: str,
    postcode: str,
    city: str,
    country: str,
    label: str = "",
    company_name: str = "",
    recipient: str = "",
) -> Address:
    """Add an address to the book, located at its city (refused if the city is unknown).
    The same address entered twice is kept once."""
    require_membership(user=user, organization=organization)
    if kind not in Address.Kind.values:
        raise AddressInvalid("An address is for shipping or for billing.")
    if not street.strip() or not postcode.strip() or not city.strip():
        raise AddressInvalid("Street, postcode and city are all needed.")
    try:
        code = country_code(country)
        place = place_locate(city=city, country=code)
    except PlaceNotFound as error:
        raise AddressInvalid(str(error)) from error
    address, _created = Address.objects.get_or_create(
        organization=organization,
        kind=kind,
        label=label.strip(),
        company_name=company_name.strip(),
        recipient=recipient.strip(),
        street=street.strip(),
        postcode=postcode.strip().upper(),
        city=city.strip(),
        country=code,
        defaults={
            "latitude": Decimal(f"{place.latitude:.5f}"),
            "longitude": Decimal(f"{place.longitude:.5f}"),
            "located_as": f"{place.name}, {place.country}",
        },
    )
    return address


def address_delete(*, user: User, address_id: int) -> None:
    address = address_get_for_member(user=user, address_id=address_id)
    address.delete()


def addresses_of(*, organization: Organization, kind: str | None = None) -> QuerySet[Address]:
    addresses = Address.objects.filter(organization=organization)
    return addresses.filter(kind=kind) if kind else addresses


def address_get_for_member(*, user: User, address_id: int | str) -> Address:
    """An address of one of the user's organizations; anyone else gets NotFound."""
    address = (
        Address.objects.filter(pk=address_id, organization__memberships__user=user)
        .select_related("organization")
        .first()
        if str(address_id).isdigit()
        else None
    )
    if address is None:
        raise NotFound("No such address in your address book.")
    return address
