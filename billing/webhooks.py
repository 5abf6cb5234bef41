"""The Stripe webhook endpoint: verify, store once, answer; processing happens in a task."""

import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.webhook_events import webhook_event_record

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """400 for anything whose signature does not verify on the raw body; 200 otherwise.

    A duplicate delivery answers 200 too (Stripe would otherwise retry for days), and is not
    processed again.
    """
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    signature = request.headers.get("Stripe-Signature", "")
    if not secret or not signature:
        return JsonResponse({"error": "missing signature"}, status=400)
    try:
        event = stripe.Webhook.construct_event(request.body, signature, secret)
    except (ValueError, stripe.SignatureVerificationError):
        logger.warning("Refused a Stripe webhook with a bad signature or body.")
        return JsonResponse({"error": "invalid signature"}, status=400)
    stored, created = webhook_event_record(provider="stripe", event=event.to_dict())
    return JsonResponse({"received": stored.event_id, "duplicate": not created})
