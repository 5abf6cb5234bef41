"""Checkout for businesses: review, billing details, proforma, invoice after payment."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Address
from billing.models import CheckoutDetails, Invoice, Payment
from billing.vat import REVERSE_CHARGE_MENTION
from marketplace.orders import checkout
from marketplace.orders.models import Order
from marketplace.orders.services import order_place
from tests import checkout_story
from tests.billing.invoice_story import pdf_text
from tests.checkout_story import checkout_url
from tests.helpers import organization_of, pay_manually

pytestmark = pytest.mark.django_db

PARIS = checkout_story.PARIS | {"po_number": "PO-2026-118"}


def test_the_review_shows_lines_summing_to_the_price_and_the_delivery_address(
    checkout_client, checkout_option
):
    response = checkout_client.get(checkout_url(checkout_option))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Goods in" in page
    assert "Platform fee" in page
    lines = checkout.invoice_lines_for(option=checkout_option)
    assert sum(line.net.minor for line in lines) == checkout_option.price_minor


def test_invoice_lines_name_each_part_and_quantity_alike_before_and_after_ordering(
    customer_alice, checkout_option
):
    """Hostile review: lines read "anodizing — Workshop" without the goods (an EU invoice
    names their nature and quantity), and the proforma listed the legs in another order than
    the invoice."""
    quoted = checkout.invoice_lines_for(option=checkout_option)
    order = order_place(user=customer_alice, option=checkout_option)
    ordered = checkout.invoice_lines_for(order=order)
    assert [line.description for line in ordered] == [line.description for line in quoted]
    assert sum(line.net.minor for line in ordered) == order.price_minor
    parts = (
        *(f"{line.revision.design.name} × {line.quantity}: " for line in order.request.lines.all()),
        "All parts: assembly",
    )
    legs = [line.description for line in ordered if line.description.startswith("Transport")]
    steps = [
        line.description
        for line in ordered
        if line.description not in legs
        and line.description not in ("Coordination and margin", "Platform fee")
    ]
    assert steps
    assert [step for step in steps if not step.startswith(parts)] == [], steps
    assert legs
    assert all(" to " in leg for leg in legs), legs


def test_a_bad_vat_id_is_refused_with_a_message_and_nothing_is_placed(
    checkout_client, checkout_option
):
    response = checkout_client.post(
        checkout_url(checkout_option), PARIS | {"vat_id": "FR40303265046"}
    )
    assert response.status_code == 400
    assert "not a valid EU VAT ID" in response.content.decode()
    assert not Order.objects.exists()
    assert not Address.objects.exists()


def test_without_the_terms_nothing_is_placed(checkout_client, checkout_option):
    response = checkout_client.post(checkout_url(checkout_option), PARIS | {"terms": ""})
    assert response.status_code == 400
    assert "Accept the terms" in response.content.decode()
    assert not Order.objects.exists()


def test_the_proforma_shows_both_parties_the_po_and_the_reverse_charge(
    checkout_client, checkout_option
):
    response = checkout_client.post(
        checkout_url(checkout_option),
        PARIS | {"vat_id": "FR 40 303 265 045", "action": "proforma", "terms": ""},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("Proforma invoice", "FR40303265045", "PO-2026-118", "Reverse charge"):
        assert expected in text, expected
    assert "DE100000008" in text  # the seller's VAT ID
    assert not Order.objects.exists()


def test_checkout_places_the_order_and_payment_brings_a_numbered_vat_invoice(
    checkout_client,
    checkout_option,
    customer_alice,
    operator_olga,
    workshop_bob,
    django_capture_on_commit_callbacks,
):
    response = checkout_client.post(
        checkout_url(checkout_option), PARIS | {"vat_id": "FR40303265045"}
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order_detail", args=[order.pk])
    details = CheckoutDetails.objects.get(order_id=order.pk)
    assert (details.vat_id, details.po_number, details.billing_country) == (
        "FR40303265045",
        "PO-2026-118",
        "FR",
    )
    assert Address.objects.get(kind="billing").organization == organization_of(customer_alice)
    assert Payment.objects.get(order_id=order.pk).provider == "manual"
    proforma = checkout_client.get(reverse("order_proforma", args=[order.pk]))
    assert "Proforma invoice" in pdf_text(proforma.content)

    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(order_id=order.pk)
    assert invoice.gross_minor == order.price_minor  # reverse charge: no VAT
    assert invoice.mention == REVERSE_CHARGE_MENTION
    assert invoice.net_minor == order.price_minor
    page = checkout_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert invoice.number in page
    download = checkout_client.get(reverse("billing_invoice_pdf", args=[invoice.pk]))
    text = pdf_text(download.content)
    for expected in (invoice.number, "FR40303265045", "Acme Robotique SAS", order.reference):
        assert expected in text, expected
    checkout_client.force_login(workshop_bob)
    assert checkout_client.get(reverse("billing_invoice_pdf", args=[invoice.pk])).status_code == 404


def test_card_is_offered_only_where_stripe_is_configured(settings):
    settings.STRIPE_API_KEY = ""
    settings.PAYMENT_PROVIDER = "manual"
    assert checkout.payment_methods() == [("manual", "Bank transfer")]
    settings.STRIPE_API_KEY = "sk_test_x"
    assert [name for name, _label in checkout.payment_methods()] == ["manual", "stripe"]
    settings.PAYMENT_PROVIDER = "stripe"
    assert checkout.payment_methods()[0][0] == "stripe"


def test_a_payment_method_not_offered_is_refused(checkout_client, checkout_option, settings):
    settings.STRIPE_API_KEY = ""
    response = checkout_client.post(
        checkout_url(checkout_option), PARIS | {"payment_method": "stripe"}
    )
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_the_chosen_payment_method_opens_the_payment_with_that_provider(
    checkout_client, checkout_option, settings
):
    # The registry's documented hook stands in for Stripe: what matters is the routing.
    settings.STRIPE_API_KEY = "sk_test_x"
    settings.PAYMENT_PROVIDER_CLASSES = {"stripe": "billing.providers.manual.ManualProvider"}
    response = checkout_client.post(
        checkout_url(checkout_option), PARIS | {"payment_method": "stripe"}
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert Payment.objects.get(order_id=order.pk).provider == "stripe"
    assert CheckoutDetails.objects.get(order_id=order.pk).payment_provider == "stripe"


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(vat_id=st.text(max_size=50), po_number=st.text(max_size=80))
def test_any_vat_id_or_po_number_gets_an_answer_never_a_server_error(
    checkout_client, checkout_option, vat_id, po_number
):
    response = checkout_client.post(
        checkout_url(checkout_option), PARIS | {"vat_id": vat_id, "po_number": po_number}
    )
    assert response.status_code in (302, 400)
    if response.status_code == 400:  # the message is on the page, next to its field or on top
        page = response.content.decode()
        assert 'class="error' in page or 'role="alert"' in page


# -- the VAT ID belongs to the billing address's country -------------------------------------
VIENNA = PARIS | {"street": "Ring 1", "postcode": "1010", "city": "Vienna", "country": "AT"}


def test_a_vat_id_of_another_country_than_the_billing_address_is_refused(
    checkout_client, checkout_option
):
    """An Austrian address with a French VAT ID was placed without VAT (reverse charge)."""
    response = checkout_client.post(
        checkout_url(checkout_option), VIENNA | {"vat_id": "FR40303265045"}
    )
    assert response.status_code == 400
    assert "FR40303265045 is a VAT ID of France, not of Austria" in response.content.decode()
    assert not Order.objects.exists()
    assert not Payment.objects.exists()


def test_a_saved_billing_address_is_checked_against_the_vat_id_too(
    checkout_client, checkout_option, customer_alice
):
    saved = Address.objects.create(
        organization=organization_of(customer_alice),
        kind=Address.Kind.BILLING,
        company_name="Acme GmbH",
        street="Ring 1",
        postcode="1010",
        city="Vienna",
        country="AT",
        latitude=48.2,
        longitude=16.37,
    )
    fields = {"billing_saved": saved.pk, "vat_id": "DE136695976", "payment_method": "manual"}
    response = checkout_client.post(checkout_url(checkout_option), fields | {"terms": "on"})
    assert response.status_code == 400
    assert "is a VAT ID of Germany, not of Austria" in response.content.decode()
    assert not Order.objects.exists()


def test_billing_choice_never_takes_a_vat_id_of_another_country():
    address = Address(street="Ring 1", postcode="1010", city="Vienna", country="AT")
    with pytest.raises(checkout.CheckoutInvalid) as refused:
        checkout.billing_choice(
            address=address, vat_id="FR40303265045", po_number="", organization_name="Acme"
        )
    assert "not of Austria" in refused.value.message
    own = checkout.billing_choice(
        address=address, vat_id="ATU13585627", po_number="", organization_name="Acme"
    )
    assert own.vat_id == "ATU13585627"


def test_a_greek_vat_id_typed_with_gr_is_kept_with_el(checkout_client, checkout_option):
    athens = PARIS | {"street": "Odos 1", "postcode": "10431", "city": "Athens", "country": "GR"}
    response = checkout_client.post(
        checkout_url(checkout_option), athens | {"vat_id": "GR 094259216"}
    )
    assert response.status_code == 302
    details = CheckoutDetails.objects.get(order_id=Order.objects.get().pk)
    assert (details.vat_id, details.billing_country) == ("EL094259216", "GR")
    assert Payment.objects.get(order_id=details.order_id).vat_minor == 0  # reverse charge
