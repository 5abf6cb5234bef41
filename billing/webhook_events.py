"""Webhook events: store each verified event once, then act on it once.

The endpoint (``billing.webhooks``) only verifies and records; ``webhook_process_task`` calls
``webhook_event_process``, which re-fetches the object from the provider and hands it to the
idempotent service of its concern (payment, connected account, payout).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.connect import connected_account_sync
from billing.models import ConnectedAccount, Payment, Payout, WebhookEvent
from billing.payments import payment_sync
from billing.payouts import payout_record, payout_sync_reversed
from billing.providers import get_provider
from billing.providers.base import PayoutResult


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
        return WebhookEvent.objects.get(event_id=event["id"]), False
    return stored, True


def webhook_event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Act on a stored event once, re-fetching its object from the provider first.

    Every action is idempotent (payment_confirm, payout_record, ...), so a second worker
    racing on the same event changes nothing; a processed event is skipped.
    """
    if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
        return event
    handler = _WEBHOOK_HANDLERS.get(event.type.split(".")[0])
    acted = handler(event) if handler else False
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
    payment_sync(payment=payment)
    return True


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
}
