"""Writes of outgoing webhooks: emit (the outbox), attempt, retry, disable, manage endpoints.

Every delivery row is written in the caller's transaction, so an event exists exactly when the
change it reports does; it is sent after commit by its own task on the ``webhooks`` queue, and
the periodic sweep sends whatever is due and was never sent (a lost task, a retry). Receivers
may therefore see an event more than once and recognise it by its ``id``.
"""

import json
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import WebhookInvalid
from accounts.models import Membership, Organization, User
from accounts.permissions import require_manager
from accounts.webhooks import signing, transport
from accounts.webhooks.addresses import AddressRefused, check_literal
from accounts.webhooks.events import API_VERSION, EVENT_TYPES, PING, envelope
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint, new_secret

# Waits after the 1st, 2nd, ... failed attempt (seconds), each jittered by +-10 %: 8 attempts
# over about 45 hours, then the delivery is failed.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
JITTER = 0.1
CLAIM_LEASE = timedelta(minutes=5)  # a claimed attempt is not claimed again before this
PREVIOUS_SECRET_VALIDITY = timedelta(hours=24)
USER_AGENT = "CloudFactory-Webhooks/1.0"


def _setting(name: str, default):
    return getattr(settings, name, default)


def allow_private() -> bool:
    return bool(_setting("WEBHOOKS_ALLOW_PRIVATE", False))


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when none is left."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[attempts - 1]
    return timedelta(seconds=base * (rng or random).uniform(1 - JITTER, 1 + JITTER))


def _dispatch_on_commit(delivery_ids: list[int]) -> None:
    from accounts.webhooks.tasks import webhook_deliver_task

    if delivery_ids:
        # robust: a broker that is down loses nothing, the sweep sends the rows later.
        transaction.on_commit(
            lambda: [webhook_deliver_task.delay(pk) for pk in delivery_ids], robust=True
        )


def webhook_emit(
    *,
    event_type: str,
    organization_ids: Iterable[int | None],
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    at: datetime | None = None,
) -> list[WebhookDelivery]:
    """Queue one event for each organization's active endpoints that subscribed to it.

    Call it inside the transaction that made the change; each organization gets its own
    event id and sees only its own organization in the envelope. ``data`` may be a function,
    called only when some endpoint wants the event (most changes cost one query, no more).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    organization_ids = sorted({pk for pk in organization_ids if pk is not None})
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id__in=organization_ids, is_active=True
        )
        if endpoint.wants(event_type)
    ]
    if not endpoints:
        return []
    now = timezone.now()
    if callable(data):
        data = data()
    events = {
        pk: envelope(event_type=event_type, organization_id=pk, data=data, at=at or now)
        for pk in {endpoint.organization_id for endpoint in endpoints}
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=events[endpoint.organization_id]["id"],
            event_type=event_type,
            api_version=API_VERSION,
            payload=events[endpoint.organization_id],
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    _dispatch_on_commit([d.pk for d in deliveries])
    return deliveries


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Compare-and-swap: only one worker attempts a due delivery at a time."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def request_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def request_headers(delivery: WebhookDelivery, body: bytes, *, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Cloud-Factory-Event": delivery.event_type,
        "Cloud-Factory-Event-Id": delivery.event_id,
        "Cloud-Factory-Delivery": str(delivery.pk),
        signing.SIGNATURE_HEADER: signing.header_value(
            secrets=delivery.endpoint.signing_secrets(), timestamp=timestamp, body=body
        ),
    }


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send a due delivery once and record what happened; None if it is not due (a rerun)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.endpoint.is_active and not delivery.is_manual:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = "The endpoint is disabled."
        delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
        return delivery
    body = request_body(delivery)
    headers = request_headers(delivery, body, timestamp=int(timezone.now().timestamp()))
    outcome = transport.post(
        url=delivery.endpoint.url,
        body=body,
        headers=headers,
        allow_private=allow_private(),
        connect_timeout=_setting("WEBHOOKS_CONNECT_TIMEOUT", 3.0),
        total_timeout=_setting("WEBHOOKS_TOTAL_TIMEOUT", 10.0),
    )
    return _record(delivery, outcome)


def _record(delivery: WebhookDelivery, outcome: transport.Outcome) -> WebhookDelivery:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:500]
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_response = outcome.response_excerpt
    if outcome.succeeded:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        if not delivery.last_error:
            delivery.last_error = f"The receiver answered {outcome.status_code}."
        wait = None if delivery.is_manual else retry_delay(delivery.attempts)
        delivery.status = WebhookDelivery.Status.PENDING if wait else WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = now + wait if wait else None
    fields = [
        "attempts",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "last_duration_ms",
        "last_response",
        "status",
        "delivered_at",
        "next_attempt_at",
    ]
    with transaction.atomic():
        # An update, never an insert: the endpoint (and with it this row) may have been
        # deleted while the request was in flight; then there is nothing left to record.
        if not WebhookDelivery.objects.filter(pk=delivery.pk).update(
            **{name: getattr(delivery, name) for name in fields}
        ):
            return delivery
        if delivery.endpoint.is_active:
            _endpoint_health(delivery.endpoint, succeeded=outcome.succeeded, now=now)
    return delivery


def _endpoint_health(endpoint: WebhookEndpoint, *, succeeded: bool, now: datetime) -> None:
    """Failures since the last success: after WEBHOOKS_DISABLE_AFTER_DAYS, disable and tell."""
    rows = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if succeeded:
        rows.exclude(failing_since=None).update(failing_since=None)
        return
    rows.filter(failing_since=None).update(failing_since=now)
    since = rows.values_list("failing_since", flat=True).first()
    limit = timedelta(days=_setting("WEBHOOKS_DISABLE_AFTER_DAYS", 3))
    if since is None or now - since < limit:
        return
    reason = f"Every delivery failed from {since:%Y-%m-%d %H:%M} UTC to {now:%Y-%m-%d %H:%M} UTC."
    if rows.filter(is_active=True).update(is_active=False, disabled_reason=reason):
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING, is_manual=False).update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            last_error="The endpoint was disabled after failing for days.",
        )
        _tell_disabled(endpoint, reason)


def _tell_disabled(endpoint: WebhookEndpoint, reason: str) -> None:
    from accounts.services import notify

    managers = User.objects.filter(
        memberships__organization_id=endpoint.organization_id,
        memberships__role__in=Membership.MANAGERS,
    )
    users = {user.pk: user for user in managers}
    # Its creator too, but only while still a member: the URL is the organization's business.
    creator_is_member = Membership.objects.filter(
        user_id=endpoint.created_by_id, organization_id=endpoint.organization_id
    ).exists()
    if creator_is_member and endpoint.created_by_id not in users:
        users[endpoint.created_by_id] = endpoint.created_by
    notify(
        users=list(users.values()),
        kind="webhook.disabled",
        title=f"Webhook endpoint disabled: {endpoint.url}",
        body=f"{reason} Fix the receiver, then enable the endpoint again; a test ping helps.",
        url=reverse("webhook_endpoint_detail", args=[endpoint.pk]),
    )


def deliveries_dispatch_due(*, limit: int = 500) -> int:
    """Enqueue every delivery that is due: retries, and outbox rows whose task was lost."""
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    from accounts.webhooks.tasks import webhook_deliver_task

    for pk in due:
        webhook_deliver_task.delay(pk)
    return len(due)


def _clean(url: str, event_types: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        check_literal(url, allow_private=allow_private())
    except AddressRefused as error:
        raise WebhookInvalid(str(error), code="url_refused") from None
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise WebhookInvalid(f"Unknown event types: {', '.join(unknown)}.", code="event_unknown")
    if not event_types:
        raise WebhookInvalid("Choose at least one event type.", code="event_required")
    return url, sorted(set(event_types))


@transaction.atomic
def endpoint_create(
    *,
    user: User,
    organization: Organization,
    url: str,
    event_types: list[str],
    description: str = "",
) -> WebhookEndpoint:
    """A new endpoint; its secret is shown to the creator once, from the returned object."""
    require_manager(user=user, organization=organization)
    url, event_types = _clean(url, event_types)
    limit = _setting("WEBHOOKS_MAX_ENDPOINTS", 20)
    # The organization's row is locked so two creations at once cannot both take the last place.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if WebhookEndpoint.objects.filter(organization=organization).count() >= limit:
        raise WebhookInvalid(
            f"An organization may register at most {limit} webhook endpoints; "
            "delete one or subscribe an existing one to more events.",
            code="endpoint_limit",
        )
    return WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        event_types=event_types,
        description=description.strip()[:200],
        created_by=user,
    )


def endpoint_update(
    *,
    user: User,
    endpoint: WebhookEndpoint,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """Change the URL, events or state; enabling again forgets the past failures."""
    require_manager(user=user, organization=endpoint.organization)
    endpoint.url, endpoint.event_types = _clean(url, event_types)
    endpoint.description = description.strip()[:200]
    if is_active and not endpoint.is_active:
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
    elif not is_active and endpoint.is_active:
        endpoint.disabled_reason = f"Disabled by {user.email}."
    endpoint.is_active = is_active
    endpoint.save()
    return endpoint


def endpoint_delete(*, user: User, endpoint: WebhookEndpoint) -> None:
    require_manager(user=user, organization=endpoint.organization)
    endpoint.delete()


def endpoint_rotate_secret(*, user: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret, shown once; the old one still signs for a day so receivers can switch."""
    require_manager(user=user, organization=endpoint.organization)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_VALIDITY
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


def _manual(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=payload["id"],
        event_type=payload["type"],
        api_version=payload.get("api_version", API_VERSION),
        payload=payload,
        is_manual=True,
        next_attempt_at=timezone.now(),
    )
    _dispatch_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def endpoint_ping(*, user: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` event to this endpoint alone, to test the receiver and its signature check."""
    require_manager(user=user, organization=endpoint.organization)
    payload = envelope(
        event_type=PING,
        organization_id=endpoint.organization_id,
        data={"endpoint": endpoint.pk, "message": "Hello from Cloud Factory."},
        at=timezone.now(),
    )
    return _manual(endpoint, dict(payload))


@transaction.atomic
def delivery_redeliver(*, user: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same id, same payload) again, as a new delivery with one attempt."""
    require_manager(user=user, organization=delivery.endpoint.organization)
    return _manual(delivery.endpoint, delivery.payload)
