"""Signed shop-floor messages for the tests: a device of a workshop, as an agent would send
(plain helpers, not tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from marketplace.network.models import Machine
from marketplace.shopfloor import protocol
from marketplace.shopfloor.services import device_key_create, event_ingest
from tests.helpers import workshop_of


@dataclass
class Device:
    """A workshop's machine with a device key: it signs what it says."""

    slug: str
    machine: Machine
    key_id: str
    secret: str

    def topic(self, kind: str, machine_id: int | None = None) -> str:
        return protocol.topic_for(self.slug, machine_id or self.machine.pk, kind)

    def message(self, kind: str, *, event_id=None, at: datetime | None = None, **fields):
        body = {
            "event_id": str(event_id or uuid.uuid4()),
            "machine_time": (at or datetime.now(UTC)).isoformat(),
            **fields,
        }
        topic = self.topic(kind)
        payload = protocol.envelope_encode(
            key_id=self.key_id, secret=self.secret, topic=topic, body=body
        )
        return topic, payload

    def send(self, kind: str, **kwargs):
        topic, payload = self.message(kind, **kwargs)
        return event_ingest(topic=topic, payload=payload)


def device_of(user, machine: Machine) -> Device:
    workshop = workshop_of(user)
    key, secret = device_key_create(user=user, workshop=workshop, name="Edge agent")
    return Device(workshop.organization.slug, machine, key.key_id, secret)
