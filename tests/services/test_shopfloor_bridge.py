"""Bridges on a real Mosquitto: several share the work without doing any of it twice, and the
command stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from paho.mqtt.enums import CallbackAPIVersion

from marketplace.shopfloor.bridge import Bridge, BrokerAddress
from marketplace.shopfloor.models import ProcessedEvent
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.floor import wait_until
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.services


@pytest.mark.django_db(transaction=True)
def test_two_bridges_in_one_group_share_the_events_and_apply_each_once(workshop_bob, mqtt_url):
    broker = BrokerAddress.from_url(mqtt_url)
    group = f"cf-test-{uuid.uuid4().hex[:8]}"
    bridges = [
        Bridge(broker, client_id=f"cf-test-{uuid.uuid4().hex[:8]}", group=group, session_expiry=0)
        for _ in range(2)
    ]
    for bridge in bridges:
        bridge.start()
        wait_until(bridge.connected.is_set, what="a bridge to connect")
    time.sleep(0.3)  # the SUBACKs
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    start = datetime.now(UTC) - timedelta(minutes=1)
    messages = [
        device.message("counters", at=start + timedelta(seconds=i), counters={"parts": i})
        for i in range(40)
    ]
    try:
        for topic, payload in messages:
            publisher.publish(topic, payload, qos=1)
        publisher.publish(*messages[0], qos=1)  # one redelivered: a duplicate
        wait_until(lambda: sum(b.counts.received for b in bridges) == 41, what="all events")
    finally:
        publisher.loop_stop()
        for bridge in bridges:
            bridge.shutdown()
    assert all(b.counts.received > 0 for b in bridges)  # the broker shared them out
    outcomes = {}
    for bridge in bridges:
        for outcome, count in bridge.counts.by_outcome.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    assert outcomes.get("duplicate") == 1
    assert ProcessedEvent.objects.count() == 40
    device.machine.feed.refresh_from_db()
    assert device.machine.feed.counters == {"parts": 39}


@pytest.mark.django_db(transaction=True)
def test_a_retired_bridge_leaves_its_share_to_the_others(workshop_bob, mqtt_url):
    """A stopped bridge's session would keep receiving its share; one that leaves does not."""
    broker = BrokerAddress.from_url(mqtt_url)
    group = f"cf-test-{uuid.uuid4().hex[:8]}"
    retired = Bridge(
        broker, client_id=f"cf-test-{uuid.uuid4().hex[:8]}", group=group, leave_on_stop=True
    )
    staying = Bridge(
        broker, client_id=f"cf-test-{uuid.uuid4().hex[:8]}", group=group, session_expiry=0
    )
    for bridge in (retired, staying):
        bridge.start()
        wait_until(bridge.connected.is_set, what="a bridge to connect")
    time.sleep(0.3)
    retired.shutdown()
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    try:
        for i in range(6):
            publisher.publish(*device.message("counters", counters={"parts": i}), qos=1)
        wait_until(lambda: staying.counts.received == 6, what="every event at the staying bridge")
    finally:
        publisher.loop_stop()
        staying.shutdown()
    assert ProcessedEvent.objects.count() == 6


def test_the_command_stops_cleanly_on_sigterm(mqtt_url, tmp_path):
    env = {
        **os.environ,
        "SHOPFLOOR_MQTT_URL": mqtt_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    bridge = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "shopfloor_bridge",
            "--client-id",
            f"cf-test-{uuid.uuid4().hex[:8]}",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Shop-floor bridge on" in bridge.stdout.readline()
        time.sleep(0.5)
        bridge.send_signal(signal.SIGTERM)
        out, err = bridge.communicate(timeout=20)
    finally:
        if bridge.poll() is None:
            bridge.kill()
    assert bridge.returncode == 0, err
    assert "Stopped after 0 message(s)" in out
