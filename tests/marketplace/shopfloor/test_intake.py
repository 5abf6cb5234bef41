"""The MQTT intake: signed events reach the shop-floor services once, the newest wins, and a
refused message changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.network.models import Machine, MachineStatusChange
from marketplace.shopfloor import protocol
from marketplace.shopfloor.models import DeviceKey, MachineFeed, ProcessedEvent
from marketplace.shopfloor.services import device_key_revoke, event_ingest
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def bob_device(workshop_bob):
    return device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))


def _nothing_changed(machine: Machine) -> None:
    machine.refresh_from_db()
    assert machine.status == Machine.Status.AVAILABLE
    assert not MachineStatusChange.objects.filter(machine=machine).exists()
    assert not ProcessedEvent.objects.exists()


def test_a_signed_status_goes_through_the_status_service(bob_device, workshop_bob):
    result = bob_device.send("status", status="down", note="Spindle alarm 2041", at=T0)
    assert (result.outcome, result.is_error) == ("applied", False)
    machine = bob_device.machine
    machine.refresh_from_db()
    assert (machine.status, machine.status_note) == ("down", "Spindle alarm 2041")
    change = MachineStatusChange.objects.get(machine=machine)
    assert (change.previous_status, change.changed_by) == ("available", workshop_bob)
    assert machine.feed.status_at == T0
    assert ProcessedEvent.objects.get().outcome == "applied"


def test_a_redelivered_event_is_a_harmless_duplicate(bob_device):
    event_id = uuid.uuid4()
    topic, payload = bob_device.message("status", event_id=event_id, status="down", at=T0)
    assert event_ingest(topic=topic, payload=payload).outcome == "applied"
    assert event_ingest(topic=topic, payload=payload).outcome == "duplicate"
    assert MachineStatusChange.objects.filter(machine=bob_device.machine).count() == 1
    assert ProcessedEvent.objects.count() == 1


def test_an_older_status_is_recorded_but_does_not_overwrite_a_newer_one(bob_device):
    bob_device.send("status", status="down", note="Jam", at=T0 + timedelta(minutes=5))
    late = bob_device.send("status", status="available", at=T0)
    assert late.outcome == "stale"
    bob_device.machine.refresh_from_db()
    assert bob_device.machine.status == "down"
    assert ProcessedEvent.objects.filter(outcome="stale").count() == 1


def test_repeating_the_current_state_adds_no_history_row(bob_device):
    bob_device.send("status", status="down", note="Jam", at=T0)
    again = bob_device.send("status", status="down", note="Jam", at=T0 + timedelta(seconds=1))
    assert again.outcome == "applied"
    assert MachineStatusChange.objects.filter(machine=bob_device.machine).count() == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    statuses=st.lists(st.sampled_from(protocol.STATUSES), min_size=1, max_size=6),
    seconds=st.lists(st.integers(0, 5), min_size=6, max_size=6),
)
def test_any_arrival_order_of_a_batch_ends_in_the_state_of_the_newest(
    bob_device, data, statuses, seconds
):
    """Timestamps may tie: then the event id decides, the same on every bridge."""
    ProcessedEvent.objects.all().delete()
    Machine.objects.filter(pk=bob_device.machine.pk).update(status="available", status_note="")
    MachineFeed.objects.filter(machine=bob_device.machine).delete()
    batch = [
        (T0 + timedelta(seconds=seconds[i]), uuid.uuid4(), status, f"note {i}")
        for i, status in enumerate(statuses)
    ]
    for at, event_id, status, note in data.draw(st.permutations(batch)):
        bob_device.send("status", event_id=event_id, at=at, status=status, note=note)
    newest = max(batch, key=lambda e: (e[0], str(e[1])))
    machine = Machine.objects.get(pk=bob_device.machine.pk)
    assert (machine.status, machine.status_note) == (newest[2], newest[3])
    assert ProcessedEvent.objects.count() == len(batch)


# -- refusals: a reason back, nothing else changes ---------------------------------------------
def test_bad_json_is_rejected_with_a_reason(bob_device):
    result = event_ingest(topic=bob_device.topic("status"), payload=b"{not json")
    assert (result.outcome, result.code, result.workshop_slug) == (
        "rejected",
        "bad_json",
        bob_device.slug,
    )
    _nothing_changed(bob_device.machine)


def test_a_changed_body_fails_its_signature(bob_device):
    topic, payload = bob_device.message("status", status="down")
    envelope = json.loads(payload)
    envelope["body"] = envelope["body"].replace('"down"', '"maintenance"')
    result = event_ingest(topic=topic, payload=json.dumps(envelope).encode())
    assert (result.outcome, result.code) == ("rejected", "bad_signature")
    _nothing_changed(bob_device.machine)


def test_a_signed_event_replayed_on_another_machines_topic_fails_its_signature(bob_device):
    other = MachineFactory(workshop=bob_device.machine.workshop)
    _, payload = bob_device.message("status", status="down")
    result = event_ingest(topic=bob_device.topic("status", other.pk), payload=payload)
    assert result.code == "bad_signature"
    _nothing_changed(other)


def test_an_unknown_machine_is_rejected(bob_device):
    bob_device.machine = Machine(pk=999_999, workshop=bob_device.machine.workshop)
    result = bob_device.send("status", status="down")
    assert (result.outcome, result.code) == ("rejected", "unknown_machine")
    assert not ProcessedEvent.objects.exists()


def test_a_workshop_cannot_report_for_another_workshops_machine(bob_device, workshop_charlie):
    charlies_machine = MachineFactory(workshop=workshop_of(workshop_charlie))
    bob_device.machine = charlies_machine
    result = bob_device.send("status", status="down")
    assert (result.outcome, result.code) == ("rejected", "unknown_machine")
    _nothing_changed(charlies_machine)


def test_a_key_of_one_workshop_is_refused_on_anothers_topic(bob_device, workshop_charlie):
    charlies_machine = MachineFactory(workshop=workshop_of(workshop_charlie))
    bob_device.slug = workshop_of(workshop_charlie).organization.slug
    bob_device.machine = charlies_machine
    result = bob_device.send("status", status="down")
    assert (result.outcome, result.code) == ("rejected", "unknown_key")
    _nothing_changed(charlies_machine)


def test_a_revoked_key_is_refused(bob_device, workshop_bob):
    device_key_revoke(user=workshop_bob, key=DeviceKey.objects.get(key_id=bob_device.key_id))
    result = bob_device.send("status", status="down")
    assert (result.outcome, result.code) == ("rejected", "revoked_key")
    _nothing_changed(bob_device.machine)


def test_a_key_made_under_another_platform_secret_is_stale(bob_device, settings):
    settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY
    result = bob_device.send("status", status="down")
    assert (result.outcome, result.code) == ("rejected", "stale_key")
    _nothing_changed(bob_device.machine)


def test_a_machine_clock_far_ahead_is_rejected(bob_device):
    result = bob_device.send("status", status="down", at=datetime.now(UTC) + timedelta(hours=1))
    assert result.code == "clock_ahead"
    _nothing_changed(bob_device.machine)


def test_a_status_the_rules_refuse_is_recorded_as_refused_and_changes_nothing(bob_device):
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    result = bob_device.send("status", status="maintenance", until=past)
    assert (result.outcome, result.code, result.is_error) == ("refused", "invalid_machine", True)
    assert "future" in result.reason
    bob_device.machine.refresh_from_db()
    assert bob_device.machine.status == "available"
    assert ProcessedEvent.objects.get().outcome == "refused"
    assert bob_device.send("status", status="down").outcome == "applied"


def test_counters_merge_and_an_older_counter_report_is_only_recorded(bob_device):
    bob_device.send("counters", counters={"parts": 10, "spindle_h": 1.5}, at=T0)
    bob_device.send("counters", counters={"parts": 12}, at=T0 + timedelta(minutes=1))
    assert bob_device.send("counters", counters={"parts": 3}, at=T0).outcome == "stale"
    bob_device.machine.feed.refresh_from_db()
    assert bob_device.machine.feed.counters == {"parts": 12, "spindle_h": 1.5}


def test_one_event_id_on_two_machines_is_applied_once(bob_device):
    other = MachineFactory(workshop=bob_device.machine.workshop)
    event_id = uuid.uuid4()
    bob_device.send("status", event_id=event_id, status="down")
    bob_device.machine = other
    assert bob_device.send("status", event_id=event_id, status="down").outcome == "duplicate"
    other.refresh_from_db()
    assert other.status == "available"
    assert ProcessedEvent.objects.count() == 1
