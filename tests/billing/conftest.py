"""Fixtures shared by the billing tests."""

import pytest

from billing import services
from billing.sharing import PartyContribution, order_split
from tests.billing.helpers import eur, org
from tests.factories.billing import PaymentFactory


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


@pytest.fixture
def released(customer_alice, workshop_bob, workshop_charlie):
    payment = PaymentFactory(payer=org(customer_alice))
    services.payment_confirm(payment=payment, amount=payment.amount, provider_reference="x")
    split = order_split(
        customer_price=payment.amount,
        platform_fee=eur(2000),
        parties=[
            PartyContribution("job-1", eur(12000), eur(15000), label="CNC milling at Bob"),
            PartyContribution("job-2", eur(10000), eur(10500), label="Anodizing at Charlie"),
            PartyContribution(
                "leg-1", eur(3000), None, kind="carrier", label="leg Stuttgart → Munich"
            ),
        ],
    )
    services.funds_release(
        payment=payment,
        split=split,
        parties={
            "job-1": org(workshop_bob),
            "job-2": org(workshop_charlie),
            "leg-1": org(workshop_charlie),
        },
    )
    return payment
