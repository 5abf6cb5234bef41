"""The Stripe webhook endpoints: verify, store once, answer; processing happens in a task.

Two endpoints, each with its own signing secret: ``stripe_webhook`` for the platform's own
events (``STRIPE_WEBHOOK_SECRET``) and ``stripe_connect_webhook`` for events of connected
accounts (``STRIPE_CONNECT_WEBHOOK_SECRET``; Stripe signs a Connect endpoint separately).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.webhook_events import webhook_event_record

logger = logging.getLogger(__name__)

# Seconds a signature's timestamp may be away from now, in either direction: Stripe's
# `Webhook.DEFAULT_TOLERANCE`, written out so that loading the URLs does not import stripe.
TOLERANCE = 300


class _Refused(Exception):
    pass


def _timestamp(signature: str) -> int:
    for item in signature.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise _Refused("no timestamp")


def _verified_event(request: HttpRequest, secret: str) -> dict[str, Any]:
    """The event if the body is signed with secret and dated within the tolerance.

    The library checks only that a signature is not too old; one dated in the future (a
    clock far off, or a payload signed ahead to be replayed later) is refused here too.
    """
    import stripe  # with aiohttp, 0.3 s that only a webhook needs

    signature = request.headers.get("Stripe-Signature", "")
    if not secret or not signature:
        raise _Refused("missing signature")
    try:
        event = stripe.Webhook.construct_event(request.body, signature, secret, TOLERANCE)
    except (ValueError, TypeError, AttributeError, stripe.SignatureVerificationError) as error:
        raise _Refused("invalid signature") from error
    if _timestamp(signature) > time.time() + TOLERANCE:
        raise _Refused("timestamp in the future")
    event = event.to_dict()
    _check_shape(event)
    return event


def _check_shape(event: dict[str, Any]) -> None:
    """A signed body is still only trusted to be what Stripe sends: an event with an id, a
    type and an account that fit where they are stored (a test secret leaks, a fake Stripe
    misbehaves)."""
    for name, required in (("id", True), ("type", True), ("account", False)):
        value = event.get(name)
        if value is None and not required:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= 100:
            raise _Refused(f"event without a valid {name}")


def _receive(request: HttpRequest, secret: str, endpoint: str) -> HttpResponse:
    try:
        event = _verified_event(request, secret)
    except _Refused as refused:
        logger.warning("Refused a Stripe %s webhook: %s.", endpoint, refused)
        return JsonResponse({"error": str(refused)}, status=400)
    stored, created = webhook_event_record(provider="stripe", event=event)
    return JsonResponse({"received": stored.event_id, "duplicate": not created})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """400 for anything whose signature does not verify on the raw body; 200 otherwise.

    A duplicate delivery answers 200 too (Stripe would otherwise retry for days); it is
    processed again only if its first processing failed.
    """
    return _receive(request, getattr(settings, "STRIPE_WEBHOOK_SECRET", ""), "platform")


@csrf_exempt
@require_POST
def stripe_connect_webhook(request: HttpRequest) -> HttpResponse:
    """The Connect endpoint (``account.updated`` and other connected-account events)."""
    return _receive(request, getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", ""), "Connect")
