"""Webhook events: store each verified event once, then act on it until it succeeds.

The endpoint (``billing.webhooks``) only verifies and records; ``webhook_process_task`` calls
``webhook_event_process``, which re-fetches the object from the provider and hands it to the
idempotent service of its concern (payment, connected account, payout).

An event whose processing failed is not done: a redelivery processes it again, the sweeper
``webhook_events_retry`` (beat, ``webhook_events_retry_task``) retries failed events and
events stuck in ``received``, up to ``WEBHOOK_MAX_ATTEMPTS`` attempts, and an operator can
retry one (``webhook_event_retry``, an admin action).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import record
from accounts.models import User
from accounts.permissions import require_operator
from billing.connect import connected_account_sync
from billing.errors import ProviderError
from billing.models import ConnectedAccount, Payment, Payout, WebhookEvent
from billing.payments import (
    payment_dispute_sync,
    payment_fee_record,
    payment_sync,
    refund_record_external,
)
from billing.payouts import payout_record, payout_sync_reversed
from billing.providers import get_provider
from billing.providers.base import PayoutResult

logger = logging.getLogger(__name__)


def webhook_event_record(*, provider: str, event: Mapping[str, Any]) -> tuple[WebhookEvent, bool]:
    """Store a verified event under its id; a duplicate returns the stored one, not created.

    The processing task is enqueued after commit, only for a new event.
    """
    from billing.tasks import webhook_process_task

    data_object = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                provider=provider,
                event_id=event["id"],
                type=event.get("type", ""),
                account=event.get("account") or "",
                object_id=data_object.get("id", "") if isinstance(data_object, dict) else "",
                payload=dict(event),
            )
            transaction.on_commit(lambda: webhook_process_task.delay(stored.pk))
    except IntegrityError:
        existing = WebhookEvent.objects.get(event_id=event["id"])
        if existing.status == WebhookEvent.Status.FAILED:
            # Stripe redelivers until it gets a 200; a failed event is processed again.
            transaction.on_commit(lambda: webhook_process_task.delay(existing.pk))
        return existing, False
    return stored, True


def _max_attempts() -> int:
    return getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 5)


def _retry_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "WEBHOOK_RETRY_AFTER_MINUTES", 15))


def webhook_events_retry(*, now: datetime | None = None) -> list[WebhookEvent]:
    """Process again what did not get done: failed events, and events left ``received`` (a
    lost task, a worker that died) for longer than ``WEBHOOK_RETRY_AFTER_MINUTES``.

    An event is tried at most ``WEBHOOK_MAX_ATTEMPTS`` times, at most once per window; after
    that it stays ``failed`` for an operator. Returns the events tried, as they ended up.
    """
    now = now or timezone.now()
    cutoff = now - _retry_after()
    due = (
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.Status.FAILED) | Q(status=WebhookEvent.Status.RECEIVED),
            attempts__lt=_max_attempts(),
            received_at__lt=cutoff,
        )
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=cutoff))
        .order_by("received_at", "id")
    )
    tried = []
    for event in due[:200]:
        try:
            webhook_event_process(event=event)
        except Exception:
            logger.exception("Retrying webhook event %s failed.", event.event_id)
        event.refresh_from_db()
        tried.append(event)
    return tried


def webhook_event_retry(*, operator: User, event: WebhookEvent) -> WebhookEvent:
    """An operator processes one event again now (a failed one, or one ignored at the time
    because its object was not known yet); a processed event is left alone."""
    require_operator(user=operator)
    record(
        actor=operator, action="webhook_event.retry", target=event, details={"status": event.status}
    )
    WebhookEvent.objects.filter(pk=event.pk).exclude(status=WebhookEvent.Status.PROCESSED).update(
        status=WebhookEvent.Status.RECEIVED
    )
    event.refresh_from_db()
    try:
        return webhook_event_process(event=event)
    except ProviderError:
        event.refresh_from_db()
        return event


def webhook_event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Act on a stored event once, re-fetching its object from the provider first.

    Every action is idempotent (payment_confirm, payout_record, ...), so a second worker
    racing on the same event changes nothing; a processed event is skipped.
    """
    if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
        return event
    WebhookEvent.objects.filter(pk=event.pk).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now()
    )
    handler = _WEBHOOK_HANDLERS.get(event.type.split(".")[0])
    try:
        acted = handler(event) if handler else False
    except Exception as error:
        message = getattr(error, "message", "") or str(error) or type(error).__name__
        WebhookEvent.objects.filter(pk=event.pk).exclude(
            status=WebhookEvent.Status.PROCESSED
        ).update(status=WebhookEvent.Status.FAILED, error=message[:2000])
        raise
    WebhookEvent.objects.filter(pk=event.pk).exclude(status=WebhookEvent.Status.PROCESSED).update(
        status=WebhookEvent.Status.PROCESSED if acted else WebhookEvent.Status.IGNORED,
        processed_at=timezone.now(),
        error="",
    )
    event.refresh_from_db()
    return event


def _on_payment_intent(event: WebhookEvent) -> bool:
    payment = Payment.objects.filter(provider="stripe", provider_payment_id=event.object_id).first()
    if payment is None:
        return False
    payment = payment_sync(payment=payment)
    if payment.confirmed_at is not None and payment.provider_charge_id:
        fee = get_provider("stripe").retrieve_charge(payment.provider_charge_id).fee
        if fee is not None:
            payment_fee_record(payment=payment, fee=fee)
    return True


def _payment_of_charge(charge_id: str, payment_intent: str) -> Payment | None:
    payments = Payment.objects.filter(provider="stripe")
    return (
        (charge_id and payments.filter(provider_charge_id=charge_id).first())
        or (payment_intent and payments.filter(provider_payment_id=payment_intent).first())
        or None
    )


def _on_charge(event: WebhookEvent) -> bool:
    provider = get_provider("stripe")
    if event.type.startswith("charge.dispute."):
        state = provider.retrieve_dispute(event.object_id)
        payment = _payment_of_charge(state.charge_id, state.payment_intent)
        if payment is None:
            return False
        payment_dispute_sync(
            payment=payment,
            dispute_id=state.dispute_id,
            amount=state.amount,
            provider_status=state.status,
            reason=state.reason,
        )
        return True
    if event.type == "charge.refunded":
        charge = provider.retrieve_charge(event.object_id)
        payment = _payment_of_charge(charge.charge_id, charge.payment_intent)
        if payment is None:
            return False
        recorded = [
            refund_record_external(
                payment=payment,
                provider_refund_id=refund.refund_id,
                amount=refund.amount,
                our_refund_id=refund.cf_refund,
            )
            for refund in charge.refunds
            if refund.status == "succeeded"
        ]
        return any(recorded)
    return False


def _on_account(event: WebhookEvent) -> bool:
    account_id = event.object_id or event.account
    account = ConnectedAccount.objects.filter(provider_account_id=account_id).first()
    if account is None:
        return False
    connected_account_sync(account=account)
    return True


def _on_transfer(event: WebhookEvent) -> bool:
    provider = get_provider("stripe")
    state = provider.retrieve_transfer(event.object_id)
    payout = (
        Payout.objects.filter(provider_transfer_id=state.transfer_id).first()
        or Payout.objects.filter(idempotency_key=state.reference).first()
    )
    if payout is None:
        return False
    if payout.status != Payout.Status.PAID and payout.status != Payout.Status.REVERSED:
        # The transfer exists even if our worker never heard back: record it as paid.
        payout_record(
            payout=payout,
            result=PayoutResult(status="paid", provider_transfer_id=state.transfer_id),
        )
    if state.amount_reversed.minor:
        payout_sync_reversed(payout=payout, amount_reversed_total=state.amount_reversed)
    return True


_WEBHOOK_HANDLERS = {
    "payment_intent": _on_payment_intent,
    "account": _on_account,
    "transfer": _on_transfer,
    "charge": _on_charge,
}
