"""A device key acts as its creator: once they leave the workshop, the key speaks for no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership
from marketplace.network.models import Machine, MachineStatusChange
from marketplace.shopfloor.models import MachineFeed, ProcessedEvent
from marketplace.shopfloor.services import machines_silence_check
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_device(workshop_bob):
    return device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))


@pytest.mark.parametrize(
    ("kind", "fields"),
    [("counters", {"counters": {"parts": 7}}), ("status", {"status": "available"})],
)
def test_the_key_of_a_member_who_left_is_refused_and_changes_nothing(
    bob_device, workshop_bob, kind, fields
):
    Membership.objects.filter(user=workshop_bob).delete()
    result = bob_device.send(kind, **fields)
    assert (result.outcome, result.code) == ("rejected", "stale_key")
    assert "left" in result.reason or "creator" in result.reason
    assert not ProcessedEvent.objects.exists()
    feed = MachineFeed.objects.filter(machine=bob_device.machine).first()
    assert feed is None or (feed.counters == {} and feed.last_seen_at is None)


def test_a_silenced_machine_is_not_lifted_by_a_former_members_key(bob_device, workshop_bob):
    at = datetime.now(UTC) - timedelta(hours=1)
    assert bob_device.send("counters", counters={"parts": 1}, at=at).outcome == "applied"
    machine = bob_device.machine
    MachineFeed.objects.filter(machine=machine).update(down_when_silent=True, last_seen_at=at)
    assert machines_silence_check() == [machine.pk]
    Membership.objects.filter(user=workshop_bob).delete()
    assert bob_device.send("counters", counters={"parts": 2}).outcome == "rejected"
    machine.refresh_from_db()
    assert machine.status == Machine.Status.DOWN


def test_repeating_available_with_an_until_adds_no_history(bob_device):
    """'until' means nothing for an available machine; the repeat is still no change."""
    assert bob_device.send("status", status="down").outcome == "applied"
    for _ in range(3):
        result = bob_device.send("status", status="available", until="2099-01-01T00:00:00Z")
        assert result.outcome == "applied"
    statuses = list(
        MachineStatusChange.objects.filter(machine=bob_device.machine)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == ["down", "available"]
