"""The organization's billing profile: who may set it, the VAT ID check, the page and the API,
and what orders placed without checkout take from it."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.billing_profiles import (
    BillingProfileInvalid,
    billing_profile_set,
    vat_id_for_country,
)
from accounts.errors import PermissionDenied
from accounts.models import Address, BillingProfile, Membership
from accounts.vat_ids import VatIdInvalid, vat_id_parse
from billing.invoicing import checkout_details_record, order_buyer_record, order_sale
from billing.models import CheckoutDetails, Invoice, Payment
from billing.vat import vat_of_line
from marketplace.orders.checkout import billing_choice
from tests.billing.invoice_story import lines_of
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import (
    EINDHOVEN,
    MUNICH,
    api_client_for,
    error_of,
    organization_of,
    pay_manually,
    place_quoted_order,
    quote_bracket_and_gear,
)

FRENCH_VAT_ID = "FR40303265045"
GERMAN_VAT_ID = "DE136695976"
PARIS = {"street": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}


def _set(user, organization, **fields):
    values = {"legal_name": "Acme Robotique SAS", **PARIS, "vat_id": ""} | fields
    return billing_profile_set(user=user, organization=organization, **values)


# -- the service ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_owner_sets_the_profile_and_the_vat_id_is_kept_compact(customer_alice):
    organization = organization_of(customer_alice)
    profile = _set(customer_alice, organization, vat_id="fr 40 303 265 045", postcode="75001 ")
    assert (profile.country, profile.vat_id, profile.postcode) == ("FR", FRENCH_VAT_ID, "75001")
    assert profile.lines == ["1 rue de Rivoli", "75001 Paris", "France"]
    _set(customer_alice, organization, legal_name="Acme Robotique SA")
    assert BillingProfile.objects.get(organization=organization).legal_name == "Acme Robotique SA"
    assert BillingProfile.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Membership.Role.MEMBER])
def test_a_plain_member_may_not_set_the_profile(customer_alice, role):
    organization = organization_of(customer_alice)
    member = UserFactory()
    MembershipFactory(user=member, organization=organization, role=role)
    with pytest.raises(PermissionDenied):
        _set(member, organization)
    with pytest.raises(PermissionDenied):
        _set(UserFactory(), organization)
    assert not BillingProfile.objects.exists()


@pytest.mark.django_db
def test_an_admin_may_set_the_profile(customer_alice):
    organization = organization_of(customer_alice)
    admin = UserFactory()
    MembershipFactory(user=admin, organization=organization, role=Membership.Role.ADMIN)
    assert _set(admin, organization).updated_by == admin


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"vat_id": GERMAN_VAT_ID}, "vat_id", "VAT ID of Germany, not of France"),
        ({"vat_id": "FR40303265046"}, "vat_id", "not a valid EU VAT ID"),
        ({"vat_id": "x" * 60}, "vat_id", "is not an EU VAT ID"),
        (
            {"country": "CH", "city": "Zürich", "vat_id": FRENCH_VAT_ID},
            "vat_id",
            "not of Switzerland",
        ),
        ({"country": "XX"}, "country", "not an ISO 3166-1 country code"),
        ({"legal_name": "  "}, "legal_name", "legal name is needed"),
        ({"street": ""}, "street", "street is needed"),
    ],
)
def test_a_bad_profile_is_refused_with_the_field_and_the_reason(
    customer_alice, fields, field, words
):
    with pytest.raises(BillingProfileInvalid) as caught:
        _set(customer_alice, organization_of(customer_alice), **fields)
    assert caught.value.field == field
    assert words in caught.value.message
    assert not BillingProfile.objects.exists()


@pytest.mark.django_db
def test_a_greek_vat_id_starts_with_el_and_belongs_to_greece(customer_alice):
    profile = _set(
        customer_alice,
        organization_of(customer_alice),
        street="Odos 1",
        postcode="10431",
        city="Athens",
        country="GR",
        vat_id="EL094259216",
    )
    assert (profile.country, profile.vat_id) == ("GR", "EL094259216")


@pytest.mark.django_db
def test_a_greek_vat_id_typed_with_gr_is_stored_with_el(customer_alice):
    profile = _set(
        customer_alice,
        organization_of(customer_alice),
        street="Odos 1",
        postcode="10431",
        city="Athens",
        country="GR",
        vat_id="GR094259216",
    )
    assert profile.vat_id == "EL094259216"


# -- the page -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_shows_the_empty_state_then_saves_the_profile(client, customer_alice):
    client.force_login(customer_alice)
    url = reverse("billing_profile")
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="billing-profile-empty"' in page.content.decode()
    response = client.post(
        url, {"legal_name": "Acme Robotique SAS", **PARIS, "vat_id": FRENCH_VAT_ID}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "VAT ID FR40303265045" in page
    assert "75001 Paris" in page


@pytest.mark.django_db
def test_the_page_refuses_a_vat_id_of_another_country_beside_the_field(client, customer_alice):
    client.force_login(customer_alice)
    response = client.post(
        reverse("billing_profile"), {"legal_name": "Acme", **PARIS, "vat_id": GERMAN_VAT_ID}
    )
    assert response.status_code == 400
    assert "is a VAT ID of Germany, not of France" in response.content.decode()
    assert not BillingProfile.objects.exists()


@pytest.mark.django_db
def test_the_page_is_closed_to_plain_members(client, customer_alice):
    member = UserFactory()
    MembershipFactory(
        user=member, organization=organization_of(customer_alice), role=Membership.Role.MEMBER
    )
    client.force_login(member)
    assert client.get(reverse("billing_profile")).status_code == 403
    response = client.post(reverse("billing_profile"), {"legal_name": "Acme", **PARIS})
    assert response.status_code == 403
    assert not BillingProfile.objects.exists()


# -- the API --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_api_reads_and_writes_the_profile_for_owners_only(customer_alice):
    organization = organization_of(customer_alice)
    url = f"/api/v1/organizations/{organization.pk}/billing-profile/"
    owner = api_client_for(customer_alice)
    assert error_of(owner.get(url))["code"] == "not_found"
    body = {"legal_name": "Acme Robotique SAS", **PARIS, "vat_id": FRENCH_VAT_ID}
    response = owner.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["vat_id"] == FRENCH_VAT_ID
    assert owner.get(url).json()["country"] == "FR"

    wrong = owner.put(url, body | {"vat_id": GERMAN_VAT_ID}, format="json")
    assert wrong.status_code == 400
    assert "not of France" in error_of(wrong)["fields"]["vat_id"][0]
    assert owner.put(url, body | {"country": "ZZ"}, format="json").status_code == 400
    assert owner.put(url, {"legal_name": "x"}, format="json").status_code == 400

    member = UserFactory()
    MembershipFactory(user=member, organization=organization, role=Membership.Role.MEMBER)
    assert api_client_for(member).get(url).status_code == 403
    assert api_client_for(member).put(url, body, format="json").status_code == 403
    assert api_client_for(UserFactory()).get(url).status_code == 404
    assert BillingProfile.objects.get().vat_id == FRENCH_VAT_ID


# -- orders ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_order_without_checkout_is_taxed_and_invoiced_by_the_profile_as_it_was_when_placed(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """The profile edited between ordering and paying changes neither the payment's VAT nor
    the invoice (the details are copied when the order is placed)."""
    organization = organization_of(customer_alice)
    _set(customer_alice, organization, vat_id=FRENCH_VAT_ID)
    order = place_quoted_order(customer_alice, ship_to=EINDHOVEN)
    payment = Payment.objects.get(order_id=order.pk)
    assert payment.vat.minor == 0  # reverse charge: a French business, goods sent to the NL

    billing_profile_set(
        user=customer_alice,
        organization=organization,
        legal_name="Acme Robotics GmbH",
        street="Königstraße 1",
        postcode="70173",
        city="Stuttgart",
        country="DE",
        vat_id="",
    )
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(order_id=order.pk)
    assert invoice.treatment == "reverse_charge"
    assert (invoice.vat.minor, invoice.gross) == (0, payment.amount)
    assert (invoice.buyer_name, invoice.buyer_country, invoice.buyer_vat_id) == (
        "Acme Robotique SAS",
        "FR",
        FRENCH_VAT_ID,
    )
    assert invoice.buyer_lines == ["1 rue de Rivoli", "75001 Paris", "France"]
    assert "Reverse charge" in invoice.mention

    # The next order takes the profile as it is now: domestic German VAT.
    second = place_quoted_order(customer_alice)
    assert Payment.objects.get(order_id=second.pk).vat.minor > 0
    assert CheckoutDetails.objects.get(order_id=second.pk).billing_country == "DE"


@pytest.mark.django_db
def test_an_order_without_profile_or_checkout_records_no_buyer(small_network, customer_alice):
    order = place_quoted_order(customer_alice)
    assert not CheckoutDetails.objects.filter(order_id=order.pk).exists()
    assert Payment.objects.get(order_id=order.pk).vat.minor > 0  # the seller's domestic rate


@pytest.mark.django_db
def test_the_checkout_is_filled_in_from_the_profile(client, small_network, customer_alice):
    _set(customer_alice, organization_of(customer_alice), vat_id=FRENCH_VAT_ID)
    option = quote_bracket_and_gear(customer_alice, ship_to=EINDHOVEN).options.first()
    client.force_login(customer_alice)
    page = client.get(reverse("order_checkout", args=[option.pk])).content.decode()
    assert 'data-testid="checkout-from-profile"' in page
    for value in ("Acme Robotique SAS", "1 rue de Rivoli", "75001", FRENCH_VAT_ID):
        assert f'value="{value}"' in page
    assert '<option value="FR" selected>' in page
    # The review also prices the order for the profile: a French business, reverse charge.
    assert "With your billing profile (FR, FR40303265045): VAT 0.00 EUR (Reverse charge" in page


@pytest.mark.django_db
def test_goods_kept_in_germany_pay_german_vat_whatever_the_buyers_country(
    small_network, customer_alice
):
    """Hostile review: a French (or Swiss) billing address made goods delivered in Munich
    tax-free; where the goods go decides, so they pay the seller's 19 %."""
    _set(customer_alice, organization_of(customer_alice), vat_id=FRENCH_VAT_ID)
    order = place_quoted_order(customer_alice, ship_to=MUNICH)
    payment = Payment.objects.get(order_id=order.pk)
    details = CheckoutDetails.objects.get(order_id=order.pk)
    assert (details.billing_country, details.delivery_country) == ("FR", "DE")
    expected = sum(vat_of_line(line["net_minor"], 1900) for line in payment.sale_lines)
    assert {line["rate_bp"] for line in payment.sale_lines} == {1900}
    assert payment.vat.minor == expected > 0


@pytest.mark.django_db
def test_the_checkout_details_win_over_the_profile(customer_alice):
    organization = organization_of(customer_alice)
    _set(customer_alice, organization, vat_id=FRENCH_VAT_ID)
    checkout_details_record(
        order_id=77,
        reference="CF-2026-00077",
        organization=organization,
        billing_name="Acme Robotics GmbH",
        billing_lines=["Königstraße 1", "70173 Stuttgart", "Germany"],
        billing_country="DE",
        vat_id="",
        po_number="PO-1",
        delivery_lines=[],
        delivery_country="DE",
        payment_provider="manual",
    )
    details = order_buyer_record(
        order_id=77,
        reference="CF-2026-00077",
        organization=organization,
        payment_provider="",
        delivery_country="FR",
    )
    assert (details.billing_country, details.po_number) == ("DE", "PO-1")


# -- the profile's VAT treatment is the checkout's ------------------------------------------
VALID_VAT_IDS = [
    "ATU13585627",
    "BE0403019261",
    "CZ25123891",
    "DE136695976",
    "DK13585628",
    "EL094259216",
    "ESA28015865",
    "FI20774740",
    "FR40303265045",
    "IE6388047V",
    "IT00743110157",
    "LU15027442",
    "NL004495445B01",
    "PL5260250995",
    "SE556012579001",
]
CITIES = {
    "DE": "Berlin",
    "FR": "Paris",
    "AT": "Vienna",
    "GR": "Athens",
    "US": "Boston",
    "CH": "Bern",
}
_order_ids = iter(range(900_000, 10**9))


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    country=st.sampled_from(["DE", "FR", "AT", "GR", "IT", "PL", "NL", "IE", "US", "CH", "NO"]),
    own_vat_id=st.booleans(),
    vat_id=st.one_of(
        st.just(""),
        st.sampled_from(VALID_VAT_IDS),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=16),
    ),
    net=st.integers(1, 5_000_000),
)
def test_the_profile_is_taxed_as_the_same_details_at_checkout(
    customer_alice, country, own_vat_id, vat_id, net
):
    """Random countries and VAT IDs (the country's own valid one half of the time)."""
    organization = organization_of(customer_alice)
    own = [v for v in VALID_VAT_IDS if v[:2] == {"GR": "EL"}.get(country, country)]
    if own_vat_id and own:
        vat_id = own[0]
    address = {"street": "Main street 1", "postcode": "12345", "city": CITIES.get(country, "Town")}
    try:
        profile = billing_profile_set(
            user=customer_alice,
            organization=organization,
            legal_name="Acme",
            country=country,
            vat_id=vat_id,
            **address,
        )
    except BillingProfileInvalid as error:
        refused_field = error.field
    else:
        refused_field = None
    if refused_field is not None:
        assert refused_field == "vat_id"  # only the VAT ID can be wrong here
        return
    by_profile = next(_order_ids)
    order_buyer_record(
        order_id=by_profile,
        reference="P",
        organization=organization,
        payment_provider="manual",
        delivery_country=country,
    )
    choice = billing_choice(
        address=Address(company_name="Acme", country=country, **address),
        vat_id=vat_id,
        po_number="",
        organization_name=organization.name,
    )
    by_checkout = next(_order_ids)
    checkout_details_record(
        order_id=by_checkout,
        reference="C",
        organization=organization,
        billing_name=choice.name,
        billing_lines=choice.lines,
        billing_country=choice.country,
        vat_id=choice.vat_id,
        po_number="",
        delivery_lines=[],
        delivery_country=country,
        payment_provider="manual",
    )
    sales = [
        order_sale(
            order_id=order_id, buyer_organization=organization, lines=lines_of(net), currency="EUR"
        )
        for order_id in (by_profile, by_checkout)
    ]
    assert sales[0].rule == sales[1].rule
    assert (sales[0].vat, sales[0].gross) == (sales[1].vat, sales[1].gross)
    assert profile.vat_id == choice.vat_id
    if profile.vat_id and country not in ("DE", "US", "CH", "NO"):
        assert sales[0].rule.treatment == "reverse_charge"


@given(
    text=st.one_of(
        st.sampled_from([*VALID_VAT_IDS, "GR094259216", "gr 094 259 216"]),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-", max_size=18),
    ),
    country=st.sampled_from(["AT", "BE", "DE", "FR", "GR", "IT", "NL", "PL", "US", "GB"]),
)
def test_the_profile_check_agrees_with_the_vat_module_on_any_id(text, country):
    """The profile's check is the one parser plus the country: same number, and the profile
    takes an ID exactly when it is valid and of the profile's country."""
    try:
        parsed = vat_id_parse(text)
    except VatIdInvalid:
        parsed = None
    try:
        compact = vat_id_for_country(text, country=country)
    except BillingProfileInvalid:
        compact = None
    if not text.strip(" .-"):
        assert compact == ""
        return
    if parsed is not None and parsed.country == country:
        assert compact == parsed.number
    else:
        assert compact is None
