"""A webhook event whose processing failed is processed again: on redelivery, by the sweeper
(bounded attempts), or by an operator."""

import json
from datetime import timedelta

import pytest
from django.urls import include, path
from django.utils import timezone

from billing import services
from billing.errors import PermissionDenied, ProviderError
from billing.models import LedgerTransaction, Payment, WebhookEvent
from billing.money import Money
from billing.tasks import webhook_events_retry_task
from billing.webhook_events import webhook_event_process, webhook_event_retry
from config import urls as config_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_stripe_webhook_retries")]

urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]

URL = "/billing/webhooks/stripe/"
DEAD_STRIPE = "http://127.0.0.1:9"  # nothing listens there: Stripe is "down"


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_AFTER_MINUTES = 15
    return settings


def paid_at_stripe(fake_stripe, stripe_client, order_id=21):
    """A payment the customer paid at Stripe, with the succeeded event as Stripe sent it."""
    payment, _ = services.payment_start(
        order_id=order_id,
        reference=f"ORD-{order_id}",
        amount=Money(5000, "EUR"),
        payer=None,
        customer_email="alice@example.com",
    )
    stripe_client.v1.payment_intents.confirm(
        payment.provider_payment_id, params={"payment_method": "pm_card_visa"}
    )
    event = next(
        e
        for e in fake_stripe.events_of("payment_intent.succeeded")
        if e["data"]["object"]["id"] == payment.provider_payment_id
    )
    return payment, json.dumps(event).encode()


def failed_once(stripe_settings, body) -> WebhookEvent:
    """Store the event and fail its first processing: Stripe unreachable at the time."""
    from billing.webhook_events import webhook_event_record

    event, _ = webhook_event_record(provider="stripe", event=json.loads(body))
    stripe_settings.STRIPE_API_BASE = DEAD_STRIPE
    with pytest.raises(ProviderError):
        webhook_event_process(event=event)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 1)
    return event


def test_a_redelivery_of_a_failed_event_is_processed_again(
    stripe_settings, fake_stripe, stripe_client, client, django_capture_on_commit_callbacks
):
    payment, body = paid_at_stripe(fake_stripe, stripe_client)
    event = failed_once(stripe_settings, body)
    stripe_settings.STRIPE_API_BASE = fake_stripe.api_base  # Stripe is back

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": fake_stripe.sign(body)},
        )

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 2)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_a_redelivery_of_a_processed_event_is_not_processed_again(
    stripe_settings, fake_stripe, stripe_client, client, django_capture_on_commit_callbacks
):
    _, body = paid_at_stripe(fake_stripe, stripe_client)
    headers = {"Stripe-Signature": fake_stripe.sign(body)}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(URL, data=body, content_type="application/json", headers=headers)

    assert WebhookEvent.objects.get().attempts == 1
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1


def test_the_sweeper_retries_failed_and_stuck_events_a_bounded_number_of_times(
    stripe_settings, fake_stripe, stripe_client
):
    from billing.webhook_events import webhook_event_record

    failed_payment, failed_body = paid_at_stripe(fake_stripe, stripe_client, order_id=31)
    stuck_payment, stuck_body = paid_at_stripe(fake_stripe, stripe_client, order_id=32)
    _, fresh_body = paid_at_stripe(fake_stripe, stripe_client, order_id=33)
    failed = failed_once(stripe_settings, failed_body)
    stuck, _ = webhook_event_record(provider="stripe", event=json.loads(stuck_body))
    fresh, _ = webhook_event_record(provider="stripe", event=json.loads(fresh_body))
    long_ago = timezone.now() - timedelta(minutes=20)
    WebhookEvent.objects.filter(pk__in=[failed.pk, stuck.pk]).update(
        received_at=long_ago, last_attempt_at=None
    )
    WebhookEvent.objects.filter(pk=failed.pk).update(last_attempt_at=long_ago)

    # Stripe still down: the sweep tries both old events and fails, counting the attempts.
    assert webhook_events_retry_task.delay().get() == 2
    WebhookEvent.objects.update(last_attempt_at=long_ago)
    assert webhook_events_retry_task.delay().get() == 2
    failed.refresh_from_db()
    stuck.refresh_from_db()
    assert (failed.status, failed.attempts) == ("failed", 3)  # the limit: left for an operator
    assert (stuck.status, stuck.attempts) == ("failed", 2)

    stripe_settings.STRIPE_API_BASE = fake_stripe.api_base
    WebhookEvent.objects.update(last_attempt_at=long_ago)
    assert webhook_events_retry_task.delay().get() == 1  # only the stuck one is still due
    stuck.refresh_from_db()
    assert stuck.status == "processed"
    stuck_payment.refresh_from_db()
    assert stuck_payment.status == Payment.Status.CONFIRMED
    failed_payment.refresh_from_db()
    assert failed_payment.status == Payment.Status.PENDING
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts) == ("received", 0)  # not yet due


def test_an_operator_retries_one_event(
    stripe_settings, fake_stripe, stripe_client, operator_olga, customer_alice
):
    payment, body = paid_at_stripe(fake_stripe, stripe_client)
    event = failed_once(stripe_settings, body)
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=99)
    stripe_settings.STRIPE_API_BASE = fake_stripe.api_base

    with pytest.raises(PermissionDenied):
        webhook_event_retry(operator=customer_alice, event=event)
    event = webhook_event_retry(operator=operator_olga, event=event)

    assert event.status == "processed"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_the_sweeper_is_scheduled_on_the_billing_queue(settings):
    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "billing.tasks.webhook_events_retry_task"
    ]
    assert entry["options"]["queue"] == "billing"
    assert settings.CELERY_TASK_ROUTES["billing.tasks.*"] == {"queue": "billing"}
    assert webhook_events_retry_task.name == "billing.tasks.webhook_events_retry_task"
