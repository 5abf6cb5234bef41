"""Checkout for businesses: the order review, billing details, the proforma, the invoice.

The customer reviews the chosen option (lines, delivery address), gives a billing address,
an optional VAT ID (checked offline), a purchase order number and accepts the terms; then
the order is placed and the payment opened with the provider chosen. The invoice is issued
by billing when the payment arrives; its lines are built here from the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from accounts.billing_profiles import BillingProfileInvalid, billing_profile_of, vat_id_for_country
from accounts.models import Address, Organization, User
from billing import services as billing
from billing.invoicing import Party, proforma
from billing.providers import default_provider_name
from marketplace.errors import DomainError
from marketplace.orders.invoicing import invoice_lines_for
from marketplace.orders.models import Order, QuoteOption
from marketplace.orders.services import order_place


class CheckoutInvalid(DomainError):
    code = "checkout_invalid"


@dataclass(frozen=True, slots=True)
class BillingChoice:
    name: str
    lines: list[str]
    country: str
    vat_id: str
    po_number: str


def payment_methods() -> list[tuple[str, str]]:
    """(provider, label) the customer may choose: bank transfer always (the manual provider),
    card wherever the Stripe provider is configured (its secret key is set); the configured
    default provider first."""
    methods = [("manual", "Bank transfer")]
    if getattr(settings, "STRIPE_API_KEY", ""):
        methods.append(("stripe", "Card (Stripe)"))
    default = default_provider_name()
    return sorted(methods, key=lambda method: method[0] != default)


def initial_from_profile(*, organization: Organization) -> dict[str, str]:
    """The checkout form pre-filled from the organization's billing profile (a new billing
    address with the profile's legal name, address and VAT ID); empty without a profile."""
    profile = billing_profile_of(organization=organization)
    if profile is None:
        return {}
    return {
        "company_name": profile.legal_name,
        "street": profile.street,
        "postcode": profile.postcode,
        "city": profile.city,
        "country": profile.country,
        "vat_id": profile.vat_id,
    }


def delivery_lines(option: QuoteOption) -> list[str]:
    request = option.request
    return [
        request.ship_to_name,
        request.ship_to_address,
        f"{request.ship_to_city}, {request.ship_to_country}",
    ]


def billing_choice(
    *, address: Address, vat_id: str, po_number: str, organization_name: str
) -> BillingChoice:
    """The buyer as invoiced, from a billing address of the book; CheckoutInvalid with the
    message to show for a VAT ID that is not valid or not of the address's country (the
    billing profile's check: such an ID must not make the sale a reverse-charge one)."""
    try:
        compact = vat_id_for_country(vat_id, country=address.country)
    except BillingProfileInvalid as error:
        raise CheckoutInvalid(error.message) from error
    lines = [address.street, f"{address.postcode} {address.city}", address.country_name]
    if address.recipient:
        lines.insert(0, f"Attn. {address.recipient}")
    return BillingChoice(
        name=address.company_name or organization_name,
        lines=lines,
        country=address.country,
        vat_id=compact,
        po_number=po_number.strip(),
    )


def option_proforma(*, option: QuoteOption, choice: BillingChoice, reference: str):
    return proforma(
        reference=reference,
        po_number=choice.po_number,
        buyer=Party(choice.name, choice.lines, choice.country, choice.vat_id),
        lines=invoice_lines_for(option=option),
        currency=option.currency,
        delivery_country=option.request.ship_to_country,
    )


def order_checkout(
    *,
    user: User,
    option: QuoteOption,
    choice: BillingChoice,
    terms_accepted: bool,
    payment_provider: str,
    documents: Sequence[str] = (),
) -> Order:
    """Place the order reviewed at checkout with its billing details and the quality
    documents ticked beyond what its tolerance classes require, and open the payment with the
    provider chosen among those offered."""
    if not terms_accepted:
        raise CheckoutInvalid("Accept the terms of sale to place the order.")
    if payment_provider not in dict(payment_methods()):
        raise CheckoutInvalid("Choose one of the payment methods offered.")
    order = order_place(
        user=user,
        option=option,
        payment_provider=payment_provider,
        before_payment=lambda order: billing.checkout_details_record(
            order_id=order.pk,
            reference=order.reference,
            organization=order.organization,
            billing_name=choice.name,
            billing_lines=choice.lines,
            billing_country=choice.country,
            vat_id=choice.vat_id,
            po_number=choice.po_number,
            delivery_lines=delivery_lines(option),
            delivery_country=option.request.ship_to_country,
            payment_provider=payment_provider,
        ),
        documents=documents,
    )
    return order
