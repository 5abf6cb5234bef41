"""The platform's message format: a signed envelope around the event body (see
docs/shop-floor-mqtt.md). Kept apart from the platform's code on purpose: the agent runs on a
workshop's computer with only this package."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime


def topic_for(workshop: str, machine_id: int, kind: str) -> str:
    return f"cf/{workshop}/machines/{machine_id}/{kind}"


def errors_topic(workshop: str) -> str:
    return f"cf/{workshop}/errors"


def new_event(fields: dict, *, at: datetime | None = None) -> dict:
    """A body with a fresh event id and the machine time; the id stays with it for ever, so a
    replay after an outage is recognised by the platform as the same event."""
    return {
        "event_id": str(uuid.uuid4()),
        "machine_time": (at or datetime.now(UTC)).isoformat(),
        **fields,
    }


def envelope(*, key_id: str, secret: str, topic: str, body: dict) -> bytes:
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    signature = hmac.new(
        secret.encode(), topic.encode() + b"\n" + text.encode(), hashlib.sha256
    ).hexdigest()
    return json.dumps({"key": key_id, "sig": signature, "body": text}).encode()
