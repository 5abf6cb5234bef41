"""Cancelling a payment the order no longer wants, and money that comes anyway."""

import json

import pytest
from django.urls import include, path

from billing import services
from billing.models import LedgerTransaction, Payment, Refund
from billing.money import Money
from billing.payments import payment_cancel
from billing.signals import PaymentRefused, payment_confirmed
from config import urls as config_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_stripe_payment_cancel")]

urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


@pytest.fixture
def orders():
    """Stands in for the marketplace: order 41 expired and refuses money, others take it."""
    calls = []

    def receiver(sender, *, order_id, **kwargs):
        calls.append(order_id)
        if order_id == 41:
            return PaymentRefused("Order ORD-41 expired before the payment arrived.")
        return None

    payment_confirmed.connect(receiver, weak=False)
    yield calls
    payment_confirmed.disconnect(receiver)


def pending(order_id=41, provider=None):
    payment, _ = services.payment_start(
        order_id=order_id,
        reference=f"ORD-{order_id}",
        amount=Money(5000, "EUR"),
        payer=None,
        customer_email="alice@example.com",
        provider=provider,
    )
    return payment


def test_cancel_cancels_the_payment_intent(stripe_settings, stripe_client, orders):
    payment = pending()

    payment = payment_cancel(payment=payment, reason="Order ORD-41 expired.")

    assert payment.status == Payment.Status.CANCELED
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_payment_id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "abandoned")
    assert not LedgerTransaction.objects.exists()
    assert payment_cancel(payment=payment, reason="again").status == Payment.Status.CANCELED


def test_a_payment_captured_before_the_cancel_is_refunded_in_full(
    stripe_settings, stripe_client, orders, django_capture_on_commit_callbacks
):
    payment = pending(order_id=42)
    # The customer paid at the last second; its webhook has not been processed yet.
    stripe_client.v1.payment_intents.confirm(
        payment.provider_payment_id, params={"payment_method": "pm_card_visa"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_cancel(payment=payment, reason="Order ORD-42 expired.")

    assert payment.status == Payment.Status.REFUNDED
    (at_stripe,) = stripe_client.v1.refunds.list(
        params={"payment_intent": payment.provider_payment_id}
    ).data
    assert at_stripe.amount == 5000
    assert sorted(LedgerTransaction.objects.values_list("kind", flat=True)) == [
        "payment",
        "refund",
    ]
    assert orders == []  # the order was not told it was paid


def test_a_late_webhook_for_an_order_that_refuses_the_money_refunds_it(
    stripe_settings, fake_stripe, stripe_client, client, orders, django_capture_on_commit_callbacks
):
    payment = pending(order_id=41)
    stripe_client.v1.payment_intents.confirm(
        payment.provider_payment_id, params={"payment_method": "pm_card_visa"}
    )
    (event,) = fake_stripe.events_of("payment_intent.succeeded")
    body = json.dumps(event).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/billing/webhooks/stripe/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": fake_stripe.sign(body)},
        )

    assert response.status_code == 200
    assert orders == [41]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.unwanted_reason == "Order ORD-41 expired before the payment arrived."
    refund = Refund.objects.get()
    assert (refund.idempotency_key, refund.amount_minor) == (f"unwanted:{payment.pk}", 5000)
    assert (
        len(
            stripe_client.v1.refunds.list(params={"charge": refund.payment.provider_charge_id}).data
        )
        == 1
    )


def test_an_order_that_takes_the_money_keeps_it(
    stripe_settings, stripe_client, orders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, _ = services.payment_start(
            order_id=43,
            reference="ORD-43",
            amount=Money(5000, "EUR"),
            payer=None,
            customer_email="alice@example.com",
            payment_method="pm_card_visa",
        )

    assert orders == [43]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert not Refund.objects.exists()


def test_a_manual_payment_is_just_marked_and_a_late_transfer_goes_back(
    settings, operator_olga, orders, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    payment = pending(order_id=44, provider="manual")

    payment = payment_cancel(payment=payment, reason="Order ORD-44 expired.")
    assert payment.status == Payment.Status.CANCELED

    # The bank transfer arrives anyway; the operator records it: it is refunded, not used.
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_confirm_manual(
            operator=operator_olga, payment=payment, amount=Money(5000, "EUR")
        )

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert orders == []
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
