"""Background work of billing, on the ``billing`` queue (routed by ``billing.tasks.*``)."""

from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task

from billing.errors import ProviderError
from billing.models import Payout, WebhookEvent


class TransientProviderError(Exception):
    """The provider could not be reached; Celery retries these only."""


@contextmanager
def _retried_if_transient() -> Iterator[None]:
    """A provider error that trying again may cure (``retryable``) becomes the one exception
    Celery retries; any other error fails the task at once."""
    try:
        yield
    except ProviderError as error:
        if error.retryable:
            raise TransientProviderError(error.message) from error
        raise


@shared_task(
    autoretry_for=(TransientProviderError,), retry_backoff=True, max_retries=8, acks_late=True
)
def webhook_process_task(event_id: int) -> str:
    """Processes a stored webhook event once; a processed event is skipped, so reruns are safe."""
    from billing.webhook_events import webhook_event_process

    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    with _retried_if_transient():
        try:
            return webhook_event_process(event=event).status
        except ProviderError as error:
            WebhookEvent.objects.filter(pk=event_id).update(
                status=WebhookEvent.Status.FAILED, error=error.message
            )
            raise


@shared_task(acks_late=True)
def webhook_events_retry_task() -> int:
    """The sweeper (beat): retries failed and stuck webhook events, a bounded number of times."""
    from billing.webhook_events import webhook_events_retry

    return len(webhook_events_retry())


@shared_task(acks_late=True)
def refunds_retry_task() -> int:
    """The sweeper (beat): resumes refunds whose answer was lost, looking each up first."""
    from billing.payments import refunds_retry

    return len(refunds_retry())


@shared_task(
    autoretry_for=(TransientProviderError,), retry_backoff=True, max_retries=8, acks_late=True
)
def payment_refund_unwanted_task(payment_id: int) -> str:
    """Refunds in full a payment its order refused (or that came after a cancel); idempotent."""
    from billing.models import Payment
    from billing.payments import payment_refund_unwanted

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "missing"
    with _retried_if_transient():
        refund = payment_refund_unwanted(payment=payment)
    if refund is not None and refund.status == "pending":
        raise TransientProviderError(refund.error or "The refund's outcome is not known yet.")
    return refund.status if refund else "nothing"


@shared_task
def payout_execute_task(payout_id: int) -> str:
    """Sends one payout; the status guard in payout_execute makes reruns harmless."""
    from billing.payouts import payout_execute

    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None:
        return "missing"
    return payout_execute(payout=payout).status


@shared_task(acks_late=True)
def settlement_run_task(run_id: int) -> str:
    """Pays a running settlement run; a finished run is left alone, so reruns are safe."""
    from billing.models import SettlementRun
    from billing.settlement import settlement_execute

    run = SettlementRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    return settlement_execute(run=run).status


@shared_task(acks_late=True)
def settlement_sweep_task() -> dict:
    """Beat: makes runs and payouts a crashed worker left behind retryable (idempotent)."""
    from billing.settlement import settlement_sweep

    result = settlement_sweep()
    return {"payouts": result.payouts, "runs": result.runs}


@shared_task(acks_late=True)
def settlement_due_task() -> list[int]:
    """Beat, daily: pays every payout due (``manage.py settle_due`` does the same)."""
    from billing.settlement import settlement_run_due

    return [run.pk for run in settlement_run_due()]
