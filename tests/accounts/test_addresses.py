"""The address book: addresses validated against ISO 3166-1 and located offline."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import addresses
from accounts.addresses import AddressInvalid
from accounts.errors import NotFound, PermissionDenied
from accounts.models import Address
from accounts.places import PlaceNotFound, country_code, place_locate
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


def _add(user, **overrides):
    fields = {
        "kind": "shipping",
        "street": "Leopoldstraße 12",
        "postcode": "80802",
        "city": "München",
        "country": "de",
    }
    return addresses.address_create(
        user=user, organization=organization_of(user), **(fields | overrides)
    )


def test_an_address_is_located_from_its_city_without_typed_coordinates(customer_alice):
    address = _add(customer_alice)
    assert address.country == "DE"
    assert address.located_as == "Munich, DE"
    assert abs(address.latitude - Decimal("48.137")) < Decimal("0.01")
    assert abs(address.longitude - Decimal("11.575")) < Decimal("0.01")
    assert address.lines[-1] == "Germany"


def test_an_unknown_country_code_is_refused_with_a_message(customer_alice):
    with pytest.raises(AddressInvalid, match="not an ISO 3166-1 country code"):
        _add(customer_alice, country="XX")
    assert not Address.objects.exists()


def test_a_city_unknown_in_the_country_is_refused(customer_alice):
    with pytest.raises(AddressInvalid, match="could not find"):
        _add(customer_alice, city="Paris", country="DE")


def test_the_most_populous_place_of_a_shared_name_wins():
    assert place_locate(city="Frankfurt am Main", country="DE").population > 500_000
    assert place_locate(city="paris", country="fr").name == "Paris"


def test_nobody_adds_to_an_organization_they_do_not_belong_to(customer_alice, workshop_bob):
    with pytest.raises(PermissionDenied):
        addresses.address_create(
            user=workshop_bob,
            organization=organization_of(customer_alice),
            kind="billing",
            street="x",
            postcode="1",
            city="Munich",
            country="DE",
        )


def test_another_organization_cannot_read_or_delete_an_address(customer_alice, workshop_bob):
    address = _add(customer_alice)
    with pytest.raises(NotFound):
        addresses.address_delete(user=workshop_bob, address_id=address.pk)
    assert Address.objects.filter(pk=address.pk).exists()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=6))
def test_any_typed_country_code_is_accepted_or_refused_cleanly(text):
    try:
        code = country_code(text)
    except PlaceNotFound:
        return
    assert len(code) == 2
    assert code.isupper()


def test_the_address_book_page_saves_lists_and_refuses_bad_input(client, customer_alice):
    client.force_login(customer_alice)
    url = reverse("address_book")
    bad = {
        "kind": "billing",
        "street": "Rue de Rivoli 1",
        "postcode": "75001",
        "city": "Atlantis",
        "country": "FR",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "could not find" in response.content.decode()
    assert not Address.objects.exists()
    response = client.post(url, bad | {"city": "Paris"}, follow=True)
    assert response.status_code == 200
    assert "located at Paris, FR" in response.content.decode()
    assert Address.objects.get().organization == organization_of(customer_alice)
    response = client.post(url, {"kind": "billing", "street": "", "country": "QQ"})
    assert response.status_code == 400
    assert Address.objects.count() == 1


def test_the_quote_form_takes_the_delivery_location_from_the_chosen_address(customer_alice):
    from marketplace.orders.forms import QuoteForm

    address = _add(customer_alice)
    form = QuoteForm(
        {"ship_to_saved": address.pk}, revisions=[], organization=organization_of(customer_alice)
    )
    assert form.is_valid(), form.errors
    ship_to = form.ship_to()
    assert (ship_to.latitude, ship_to.longitude) == (
        float(address.latitude),
        float(address.longitude),
    )
    assert ship_to.city == "München"
    assert ship_to.country == "DE"


def test_a_typed_address_without_coordinates_is_located_and_a_foreign_saved_one_refused(
    customer_alice, workshop_bob
):
    from marketplace.orders.forms import QuoteForm

    typed = {
        "ship_to_name": "Acme",
        "ship_to_address": "Via Roma 1",
        "ship_to_city": "Torino",
        "ship_to_country": "it",
    }
    form = QuoteForm(typed, revisions=[], organization=organization_of(customer_alice))
    assert form.is_valid(), form.errors
    assert round(form.ship_to().latitude) == 45
    foreign = _add(workshop_bob)
    form = QuoteForm(
        {"ship_to_saved": foreign.pk}, revisions=[], organization=organization_of(customer_alice)
    )
    assert not form.is_valid()
    form = QuoteForm(typed | {"ship_to_country": "I"}, revisions=[], organization=None)
    assert not form.is_valid()
    assert "ship_to_country" in form.errors
