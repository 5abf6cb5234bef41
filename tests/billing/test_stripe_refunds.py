"""Refunds through the fake Stripe are idempotent across lost responses: one refund each time."""

import pytest

from billing import services
from billing.errors import RefundNotAllowed
from billing.models import LedgerTransaction, Payment, Refund
from billing.money import Money
from billing.payments import refund_retry

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


def paid(order_id=7, amount=5000):
    payment, _ = services.payment_start(
        order_id=order_id,
        reference=f"ORD-{order_id}",
        amount=Money(amount, "EUR"),
        payer=None,
        customer_email="alice@example.com",
        payment_method="pm_card_visa",
    )
    assert payment.status == Payment.Status.CONFIRMED
    return payment


def stripe_refunds(stripe_client, payment):
    return stripe_client.v1.refunds.list(
        params={"payment_intent": payment.provider_payment_id}
    ).data


def test_the_fake_honours_idempotency_keys_on_refunds(stripe_settings, stripe_client):
    payment = paid()
    params = {"payment_intent": payment.provider_payment_id, "amount": 1000}

    first = stripe_client.v1.refunds.create(params=params, options={"idempotency_key": "k1"})
    again = stripe_client.v1.refunds.create(params=params, options={"idempotency_key": "k1"})

    assert first.id == again.id
    assert len(stripe_refunds(stripe_client, payment)) == 1
    with pytest.raises(Exception, match="same parameters"):
        stripe_client.v1.refunds.create(
            params={**params, "amount": 2000}, options={"idempotency_key": "k1"}
        )


def test_a_retry_after_a_lost_response_refunds_once(stripe_settings, fake_stripe, stripe_client):
    payment = paid()
    fake_stripe.fail_next_refund("response_lost")

    refund = services.payment_refund(
        payment=payment, amount=Money(5000, "EUR"), idempotency_key="cancel:7"
    )
    # Stripe refunded; we did not hear it. The amount stays reserved, nothing posted yet.
    assert refund.status == Refund.Status.PENDING
    assert len(stripe_refunds(stripe_client, payment)) == 1
    with pytest.raises(RefundNotAllowed):
        services.payment_refund(payment=payment, amount=Money(5000, "EUR"))

    retried = services.payment_refund(
        payment=payment, amount=Money(5000, "EUR"), idempotency_key="cancel:7"
    )

    assert retried.pk == refund.pk
    assert retried.status == Refund.Status.SUCCEEDED
    (at_stripe,) = stripe_refunds(stripe_client, payment)
    assert retried.provider_refund_id == at_stripe.id
    assert at_stripe.metadata["cf_refund"] == str(refund.pk)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == (Payment.Status.REFUNDED, 5000)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1


@pytest.mark.parametrize("failure", ["connection", "api_error"])
def test_a_retry_after_a_failure_before_the_refund_refunds_once(
    failure, stripe_settings, fake_stripe, stripe_client
):
    payment = paid()
    fake_stripe.fail_next_refund(failure)

    refund = services.payment_refund(payment=payment, amount=Money(2000, "EUR"))
    assert refund.status == Refund.Status.PENDING
    assert stripe_refunds(stripe_client, payment) == []
    assert refund.key_generation == (1 if failure == "api_error" else 0)

    retried = refund_retry(refund=refund)
    assert refund_retry(refund=retried).status == Refund.Status.SUCCEEDED  # a no-op now

    assert retried.status == Refund.Status.SUCCEEDED
    assert len(stripe_refunds(stripe_client, payment)) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == (Payment.Status.PARTIALLY_REFUNDED, 2000)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1


def test_a_refund_stripe_refuses_fails_and_frees_the_amount(stripe_settings, stripe_client):
    payment = paid()
    stripe_client.v1.refunds.create(
        params={"payment_intent": payment.provider_payment_id, "amount": 5000}
    )  # refunded in the dashboard: nothing left at Stripe

    refund = services.payment_refund(payment=payment, amount=Money(1000, "EUR"))

    assert refund.status == Refund.Status.FAILED
    assert "already been refunded" in refund.error


def test_the_sweeper_resumes_a_refund_whose_answer_was_lost(
    stripe_settings, fake_stripe, stripe_client
):
    from datetime import timedelta

    from django.utils import timezone

    from billing.tasks import refunds_retry_task

    payment = paid()
    fake_stripe.fail_next_refund("response_lost")
    refund = services.payment_refund(payment=payment, amount=Money(3000, "EUR"))
    assert refund.status == Refund.Status.PENDING

    assert refunds_retry_task.apply().get() == 0  # too recent
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert refunds_retry_task.apply().get() == 1

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (Refund.Status.SUCCEEDED, 2)
    assert len(stripe_refunds(stripe_client, payment)) == 1
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
