"""Billing's tasks retry only what trying again may cure: a provider error marked retryable
becomes the one exception Celery retries; any other fails the task at once."""

import pytest

from billing.errors import ProviderError
from billing.models import WebhookEvent
from billing.tasks import (
    TransientProviderError,
    payment_refund_unwanted_task,
    webhook_process_task,
)
from tests.factories.billing import PaymentFactory

pytestmark = pytest.mark.django_db


def _failing(*, retryable: bool):
    def fail(**_kwargs):
        raise ProviderError("Stripe could not be reached.", retryable=retryable)

    return fail


@pytest.mark.parametrize(
    ("retryable", "raised"), [(True, TransientProviderError), (False, ProviderError)]
)
def test_a_webhook_event_failing_at_the_provider_is_marked_failed_and_retried_only_if_transient(
    monkeypatch, retryable, raised
):
    event = WebhookEvent.objects.create(event_id="evt_1", type="charge.refunded", payload={})
    monkeypatch.setattr(
        "billing.webhook_events.webhook_event_process", _failing(retryable=retryable)
    )
    with pytest.raises(raised, match="could not be reached"):
        webhook_process_task(event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.error == "Stripe could not be reached."


@pytest.mark.parametrize(
    ("retryable", "raised"), [(True, TransientProviderError), (False, ProviderError)]
)
def test_an_unwanted_payment_refund_is_retried_only_if_the_provider_error_is_transient(
    monkeypatch, retryable, raised
):
    payment = PaymentFactory()
    monkeypatch.setattr("billing.payments.payment_refund_unwanted", _failing(retryable=retryable))
    with pytest.raises(raised) as caught:
        payment_refund_unwanted_task(payment.pk)
    assert type(caught.value) is raised


def test_tasks_for_rows_that_are_gone_report_missing():
    assert webhook_process_task(0) == "missing"
    assert payment_refund_unwanted_task(0) == "missing"
