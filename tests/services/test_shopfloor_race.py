"""Intake races on the real PostgreSQL: bridges side by side never apply one event twice, and
one machine's events applied at once still end in the state of the newest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.network.models import Machine
from marketplace.shopfloor.models import ProcessedEvent
from marketplace.shopfloor.services import event_ingest
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.shopfloor_story import device_of
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 8


def test_one_event_id_sent_on_many_machines_at_once_is_applied_once(postgres, workshop_bob):
    machines = MachineFactory.create_batch(THREADS, workshop=workshop_of(workshop_bob))
    device = device_of(workshop_bob, machines[0])
    event_id = uuid.uuid4()
    messages = []
    for machine in machines:
        device.machine = machine
        messages.append(device.message("status", event_id=event_id, status="down"))
    outcomes = in_parallel(
        *[lambda t=t, p=p: event_ingest(topic=t, payload=p) for t, p in messages]
    )
    assert sorted(o.outcome for o in outcomes) == ["applied"] + ["duplicate"] * (THREADS - 1)
    assert ProcessedEvent.objects.count() == 1
    assert Machine.objects.filter(pk__in=[m.pk for m in machines], status="down").count() == 1


def test_one_machines_events_applied_at_once_end_in_the_newest(postgres, workshop_bob):
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    start = datetime.now(UTC) - timedelta(minutes=1)
    statuses = [
        "down",
        "maintenance",
        "available",
        "down",
        "available",
        "maintenance",
        "down",
        "maintenance",
    ]
    messages = [
        device.message("status", at=start + timedelta(seconds=i), status=s, note=f"n{i}")
        for i, s in enumerate(statuses)
    ]
    outcomes = in_parallel(
        *[lambda t=t, p=p: event_ingest(topic=t, payload=p) for t, p in reversed(messages)]
    )
    assert {o.outcome for o in outcomes} <= {"applied", "stale"}
    machine = Machine.objects.get(pk=device.machine.pk)
    assert (machine.status, machine.status_note) == ("maintenance", "n7")
    assert ProcessedEvent.objects.count() == len(statuses)
