"""Shared set-up for the webhook suites: an organization's endpoint, an event, a due run."""

from __future__ import annotations

from django.utils import timezone

from accounts.webhooks import services
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.helpers import organization_of


def endpoint_for(user, url: str, event_types=("order.paid",)) -> WebhookEndpoint:
    return services.endpoint_create(
        user=user, organization=organization_of(user), url=url, event_types=list(event_types)
    )


def emit_paid(capture, organization_ids, reference: str = "CF-2026-00001") -> list[int]:
    """Emit `order.paid` for these organizations and run the after-commit dispatch."""
    with capture(execute=True):
        deliveries = services.webhook_emit(
            event_type="order.paid",
            organization_ids=organization_ids,
            data={"order": {"reference": reference}},
        )
    return [d.pk for d in deliveries]


def run_due() -> int:
    """What Celery beat does every minute."""
    return services.deliveries_dispatch_due()


def fresh(pk: int) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=pk)


def seconds_until_next(delivery: WebhookDelivery) -> float:
    return (delivery.next_attempt_at - timezone.now()).total_seconds()
