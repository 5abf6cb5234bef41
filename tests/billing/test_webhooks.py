"""Stripe webhooks: verified on the raw body, stored once by event id, processed once."""

import json

import pytest
from django.urls import include, path

from billing import services
from billing.models import ConnectedAccount, LedgerTransaction, Payment, Payout, WebhookEvent
from billing.money import Money
from billing.signals import payment_confirmed
from config import urls as config_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_webhooks")]

# The route the lead will add to config/urls.py, until then served from this module.
urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]

URL = "/billing/webhooks/stripe/"


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
    """Post a fake-signed event body to the view, running the on-commit task eagerly."""

    def run(body: bytes, headers: dict[str, str]):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                URL,
                data=body,
                content_type="application/json",
                headers={"Stripe-Signature": headers["Stripe-Signature"]},
            )

    return run


@pytest.fixture
def signals():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs["order_id"])

    payment_confirmed.connect(receiver, weak=False)
    yield calls
    payment_confirmed.disconnect(receiver)


def stripe_payment(customer_alice, stripe_client):
    payment, _ = services.payment_start(
        order_id=11,
        reference="ORD-11",
        amount=Money(5000, "EUR"),
        payer=customer_alice.memberships.get().organization,
        customer_email=customer_alice.email,
    )
    return payment


def succeeded_event(fake_stripe, stripe_client, payment):
    stripe_client.v1.payment_intents.confirm(
        payment.provider_payment_id, params={"payment_method": "pm_card_visa"}
    )
    (event,) = fake_stripe.events_of("payment_intent.succeeded")
    body = json.dumps(event).encode()
    return body, {"Stripe-Signature": fake_stripe.sign(body)}


def test_a_valid_event_is_stored_and_processed(
    stripe_settings, fake_stripe, stripe_client, customer_alice, deliver, signals
):
    payment = stripe_payment(customer_alice, stripe_client)
    body, headers = succeeded_event(fake_stripe, stripe_client, payment)

    response = deliver(body, headers)

    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    event = WebhookEvent.objects.get()
    assert (event.type, event.object_id, event.status) == (
        "payment_intent.succeeded",
        payment.provider_payment_id,
        "processed",
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert signals == [11]


def test_an_event_delivered_twice_is_processed_once(
    stripe_settings, fake_stripe, stripe_client, customer_alice, deliver, signals
):
    payment = stripe_payment(customer_alice, stripe_client)
    body, headers = succeeded_event(fake_stripe, stripe_client, payment)

    first = deliver(body, headers)
    second = deliver(body, headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert signals == [11]


@pytest.mark.parametrize("forgery", ["bad_signature", "changed_body", "no_signature"])
def test_a_forged_event_is_refused_and_nothing_is_stored(
    forgery, stripe_settings, fake_stripe, stripe_client, customer_alice, client
):
    payment = stripe_payment(customer_alice, stripe_client)
    body, headers = succeeded_event(fake_stripe, stripe_client, payment)
    signature = headers["Stripe-Signature"]
    if forgery == "bad_signature":
        signature = signature[:-4] + "0000"
    elif forgery == "changed_body":
        body = body.replace(b'"amount": 5000', b'"amount": 5001', 1)
    extra = {} if forgery == "no_signature" else {"Stripe-Signature": signature}

    response = client.post(URL, data=body, content_type="application/json", headers=extra)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_the_event_body_is_not_trusted_the_object_is_fetched_again(
    stripe_settings, fake_stripe, stripe_client, customer_alice, deliver
):
    """A validly signed 'succeeded' for an intent that has not succeeded confirms nothing."""
    payment = stripe_payment(customer_alice, stripe_client)
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_payment_id).to_dict()
    body, headers = fake_stripe.webhook_request("payment_intent.succeeded", intent)

    assert deliver(body, headers).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_failed_payment_event_marks_the_payment_failed(
    stripe_settings, fake_stripe, stripe_client, customer_alice, deliver
):
    payment = stripe_payment(customer_alice, stripe_client)
    with pytest.raises(Exception, match="declined"):
        stripe_client.v1.payment_intents.confirm(
            payment.provider_payment_id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    (event,) = fake_stripe.events_of("payment_intent.payment_failed")
    body = json.dumps(event).encode()

    assert deliver(body, {"Stripe-Signature": fake_stripe.sign(body)}).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message == "Your card was declined."


def test_account_updated_marks_onboarding_done(stripe_settings, fake_stripe, workshop_bob, deliver):
    organization = workshop_bob.memberships.get().organization
    services.connected_account_onboard(
        user=workshop_bob,
        organization=organization,
        refresh_url="http://127.0.0.1:9/again",
        return_url="http://127.0.0.1:9/done",
    )
    account = ConnectedAccount.objects.get()
    fake_stripe.onboard(account.provider_account_id)
    (event,) = fake_stripe.events_of("account.updated")
    body = json.dumps(event).encode()

    assert deliver(body, {"Stripe-Signature": fake_stripe.sign(body)}).status_code == 200
    account.refresh_from_db()
    assert (account.status, account.payouts_enabled) == ("active", True)


def test_a_transfer_event_records_a_payout_whose_answer_was_lost(
    stripe_settings, fake_stripe, stripe_client, customer_alice, workshop_bob, deliver
):
    organization = workshop_bob.memberships.get().organization
    services.connected_account_onboard(
        user=workshop_bob,
        organization=organization,
        refresh_url="http://127.0.0.1:9/again",
        return_url="http://127.0.0.1:9/done",
    )
    account = ConnectedAccount.objects.get()
    fake_stripe.onboard(account.provider_account_id)
    services.connected_account_sync(account=account)
    payment, _ = services.payment_start(
        order_id=12,
        reference="ORD-12",
        amount=Money(5000, "EUR"),
        payer=None,
        customer_email="alice@example.com",
        payment_method="pm_card_visa",
    )
    payout = services.payout_create(
        party=organization,
        amount=Money(3000, "EUR"),
        idempotency_key="share:12:bob",
        order_id=12,
        source_payment=payment,
        provider="stripe",
    )
    fake_stripe.fail_next_transfer(account.provider_account_id, "response_lost")
    assert services.payout_execute(payout=payout).status == Payout.Status.FAILED

    (event,) = fake_stripe.events_of("transfer.created")
    body = json.dumps(event).encode()
    assert deliver(body, {"Stripe-Signature": fake_stripe.sign(body)}).status_code == 200

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.provider_transfer_id == event["data"]["object"]["id"]
    assert services.payout_execute(payout=payout).attempts == 1  # nothing sent again
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
