"""Amounts in Stripe's units: zero-decimal currencies, and ISK, HUF, TWD's special cases."""

import pytest

from billing import services
from billing.models import Payment
from billing.money import Money
from billing.providers.stripe_amounts import (
    STRIPE_CURRENCY_RULES,
    StripeAmountError,
    from_stripe_amount,
    to_stripe_amount,
)


@pytest.mark.parametrize(
    ("money", "stripe_amount"),
    [
        (Money(1050, "EUR"), 1050),  # 10.50 EUR: cents
        (Money(1050, "USD"), 1050),
        (Money(5000, "JPY"), 5000),  # zero-decimal: whole yen
        (Money(12000, "KRW"), 12000),
        (Money(5, "ISK"), 500),  # ISK is zero-decimal for us, two-decimal "00" for Stripe
        (Money(150050, "HUF"), 150050),  # charges in HUF may have fillér
    ],
)
def test_to_and_from_stripe_amount(money, stripe_amount):
    assert to_stripe_amount(money) == stripe_amount
    assert from_stripe_amount(stripe_amount, money.currency.lower()) == money


def test_the_table_names_the_special_cases():
    assert STRIPE_CURRENCY_RULES["JPY"].exponent == 0
    assert STRIPE_CURRENCY_RULES["KRW"].exponent == 0
    for code in ("ISK", "HUF", "TWD"):
        assert STRIPE_CURRENCY_RULES[code].exponent == 2
        assert STRIPE_CURRENCY_RULES[code].whole_units_out


@pytest.mark.parametrize("purpose", ["refund", "transfer", "payout"])
def test_huf_money_out_must_be_whole_forints(purpose):
    assert to_stripe_amount(Money(150000, "HUF"), purpose=purpose) == 150000
    with pytest.raises(StripeAmountError, match="whole units"):
        to_stripe_amount(Money(150050, "HUF"), purpose=purpose)


def test_isk_from_stripe_must_be_whole():
    with pytest.raises(StripeAmountError):
        from_stripe_amount(550, "isk")


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize(("money", "charged"), [(Money(5, "ISK"), 500), (Money(5000, "JPY"), 5000)])
def test_a_payment_is_charged_in_stripe_units_and_confirmed_in_ours(
    money, charged, stripe_settings, stripe_client
):
    payment, _ = services.payment_start(
        order_id=3,
        reference="ORD-3",
        amount=money,
        payer=None,
        customer_email="alice@example.com",
        payment_method="pm_card_visa",
    )

    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_payment_id)
    assert (intent.amount, intent.currency) == (charged, money.currency.lower())
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.confirmed_amount_minor == money.minor
