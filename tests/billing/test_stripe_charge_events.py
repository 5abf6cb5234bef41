"""charge.refunded (dashboard refunds), disputes and Stripe's fees, recorded once each."""

import json

import pytest
from django.urls import include, path

from billing import services
from billing.ledger import account_for
from billing.models import LedgerAccount, LedgerTransaction, Payment, PaymentDispute, Refund
from billing.money import Money
from billing.payments import refund_retry
from billing.selectors import account_balance
from config import urls as config_urls
from tests.fakestripe.server import charge_fee

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_stripe_charge_events")]

urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]

Kind = LedgerAccount.Kind


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
def deliver(client, fake_stripe, django_capture_on_commit_callbacks):
    """Post an event the fake sent to our endpoint, processing it eagerly."""

    def run(event):
        body = json.dumps(event).encode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/billing/webhooks/stripe/",
                data=body,
                content_type="application/json",
                headers={"Stripe-Signature": fake_stripe.sign(body)},
            )
        assert response.status_code == 200
        return response

    return run


def paid(amount=5000):
    payment, _ = services.payment_start(
        order_id=51,
        reference="ORD-51",
        amount=Money(amount, "EUR"),
        payer=None,
        customer_email="alice@example.com",
        payment_method="pm_card_visa",
    )
    assert payment.status == Payment.Status.CONFIRMED
    return payment


def balance(kind):
    return account_balance(account=account_for(kind=kind, currency="EUR")).minor


def test_dashboard_refunds_are_recorded_once_each(
    stripe_settings, fake_stripe, stripe_client, deliver
):
    payment = paid()
    stripe_client.v1.refunds.create(
        params={"payment_intent": payment.provider_payment_id, "amount": 1000}
    )
    stripe_client.v1.refunds.create(
        params={"payment_intent": payment.provider_payment_id, "amount": 500}
    )
    first, second = fake_stripe.events_of("charge.refunded")

    deliver(first)
    deliver(second)  # lists both refunds: the first must not count twice
    deliver(second)  # a duplicate delivery

    assert sorted(Refund.objects.values_list("amount_minor", flat=True)) == [500, 1000]
    assert LedgerTransaction.objects.filter(kind="refund").count() == 2
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == (Payment.Status.PARTIALLY_REFUNDED, 1500)


def test_our_own_refund_is_not_recorded_again_from_the_event(
    stripe_settings, fake_stripe, stripe_client, deliver
):
    payment = paid()
    services.payment_refund(payment=payment, amount=Money(2000, "EUR"))

    (event,) = fake_stripe.events_of("charge.refunded")
    deliver(event)

    assert Refund.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1


def test_the_event_completes_our_refund_whose_answer_was_lost(
    stripe_settings, fake_stripe, stripe_client, deliver
):
    payment = paid()
    fake_stripe.fail_next_refund("response_lost")
    refund = services.payment_refund(payment=payment, amount=Money(2000, "EUR"))
    assert refund.status == Refund.Status.PENDING

    (event,) = fake_stripe.events_of("charge.refunded")
    deliver(event)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund_retry(refund=refund).status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert (
        len(stripe_client.v1.refunds.list(params={"charge": payment.provider_charge_id}).data) == 1
    )


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_is_recorded_and_reversed_when_won(
    won, stripe_settings, fake_stripe, stripe_client, deliver
):
    payment = paid()
    dispute = fake_stripe.dispute(payment.provider_charge_id)
    (created,) = fake_stripe.events_of("charge.dispute.created")

    deliver(created)
    deliver(created)

    recorded = PaymentDispute.objects.get()
    assert (recorded.payment, recorded.status, recorded.amount_minor) == (payment, "open", 5000)
    assert recorded.reason == "fraudulent"
    assert balance(Kind.DISPUTES) == -5000

    fake_stripe.close_dispute(dispute["id"], won=won)
    (closed,) = fake_stripe.events_of("charge.dispute.closed")
    deliver(closed)
    deliver(closed)

    recorded.refresh_from_db()
    assert recorded.status == ("won" if won else "lost")
    assert recorded.closed_at is not None
    assert balance(Kind.DISPUTES) == (0 if won else -5000)
    assert LedgerTransaction.objects.filter(kind="dispute").count() == 1
    assert LedgerTransaction.objects.filter(kind="reversal").count() == (1 if won else 0)


def test_stripe_fee_is_a_platform_expense_recorded_once(
    stripe_settings, fake_stripe, stripe_client, deliver
):
    payment = paid(amount=5000)
    (event,) = fake_stripe.events_of("payment_intent.succeeded")

    deliver(event)
    deliver(event)

    fee = charge_fee(5000)
    assert fee == 100
    assert balance(Kind.PROVIDER_FEES) == -fee
    (posted,) = LedgerTransaction.objects.filter(kind="fee")
    assert posted.idempotency_key == f"fee:{payment.pk}"
