"""The event types partners may subscribe to, and the envelope every payload travels in.

Only names and one-line meanings live here; the room that owns an object builds its data
(``marketplace.orders.partner_events``, ``marketplace.network.partner_events``,
``billing.partner_events``) and documents its shape in the API schema.
"""

import uuid
from datetime import datetime
from typing import Any, TypedDict

API_VERSION = "2026-12-01"
PING = "ping"

EVENT_TYPES: dict[str, str] = {
    "order.paid": "An order of yours was paid.",
    "order.cancelled": "An order of yours was cancelled.",
    "job.offered": "A step was offered to your workshop.",
    "job.accepted": "Your workshop accepted a step.",
    "job.replanned": "A step your workshop held was moved elsewhere by a re-plan.",
    "job.completed": "Your workshop completed a step.",
    "shipment.handed_over": "Parts you send, carry or await were handed over.",
    "shipment.delivered": "Parts you send, carry or await arrived.",
    "payout.paid": "A payout to your organization was paid.",
    "machine.down": "One of your machines stopped being available.",
    "machine.available": "One of your machines is available again.",
}

EVENT_TYPE_CHOICES = sorted(EVENT_TYPES)  # the API's one enum of event types


class Envelope(TypedDict):
    """What a receiver gets: the same outer shape for every event type."""

    id: str
    type: str
    api_version: str
    created: int
    organization: int
    data: dict[str, Any]


def envelope(
    *, event_type: str, organization_id: int, data: dict[str, Any], at: datetime
) -> Envelope:
    return Envelope(
        id=f"evt_{uuid.uuid4().hex}",
        type=event_type,
        api_version=API_VERSION,
        created=int(at.timestamp()),
        organization=organization_id,
        data=data,
    )
