"""The database goes away under a running bridge: the event in hand is not acknowledged, so
the broker keeps it, and it is applied once when the database is back."""

from __future__ import annotations

import contextlib
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.db import connection
from paho.mqtt.enums import CallbackAPIVersion

from marketplace.shopfloor.bridge import Bridge, BrokerAddress
from marketplace.shopfloor.models import MachineFeed, ProcessedEvent
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.floor import wait_until
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def database_down():
    """Every new connection fails (a missing SQLite file's folder, a closed PostgreSQL port),
    as when the database server is gone; the settings dict is shared by every thread."""
    settings_dict = connection.settings_dict
    key = "NAME" if connection.vendor == "sqlite" else "PORT"
    saved = settings_dict[key]
    settings_dict[key] = "/nonexistent/cf/db.sqlite3" if key == "NAME" else "1"
    connection.close()
    try:
        yield
    finally:
        settings_dict[key] = saved


def _bridge(broker, client_id, group) -> Bridge:
    bridge = Bridge(broker, client_id=client_id, group=group, silence_every=3600)
    bridge.start()
    wait_until(bridge.connected.is_set, what="the bridge to connect")
    time.sleep(0.3)  # the SUBACK
    return bridge


def _publish(broker, topic, payload) -> None:
    publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    publisher.publish(topic, payload, qos=1).wait_for_publish(5)
    publisher.loop_stop()
    publisher.disconnect()


def test_an_event_met_by_a_dead_database_waits_and_arrives_once_it_is_back(workshop_bob, mqtt_url):
    broker = BrokerAddress.from_url(mqtt_url)
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    group, client_id = f"cf-test-{uuid.uuid4().hex[:8]}", f"cf-test-{uuid.uuid4().hex[:8]}"
    attempts = []
    bridge = _bridge(broker, client_id, group)
    bridge.on_result = lambda topic, result: attempts.append(result)
    with database_down():
        _publish(broker, *device.message("counters", counters={"parts": 7}))
        time.sleep(2.5)  # the bridge meets the dead database (and keeps trying)
        bridge.shutdown()  # stopped before the database returns
    assert not any(r.outcome == "rejected" for r in attempts)  # no refusal for our failure
    assert not ProcessedEvent.objects.exists()
    again = _bridge(broker, client_id, group)  # the same session: the broker redelivers
    try:
        wait_until(lambda: ProcessedEvent.objects.exists(), what="the kept event to arrive")
    finally:
        again.leave_on_stop = True
        again.shutdown()
    assert ProcessedEvent.objects.get().outcome == "applied"
    assert MachineFeed.objects.get(machine=device.machine).counters == {"parts": 7}


def test_a_short_database_outage_delays_the_event_without_losing_it(workshop_bob, mqtt_url):
    broker = BrokerAddress.from_url(mqtt_url)
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    bridge = _bridge(broker, f"cf-test-{uuid.uuid4().hex[:8]}", f"cf-test-{uuid.uuid4().hex[:8]}")
    try:
        with database_down():
            _publish(broker, *device.message("counters", counters={"parts": 3}))
            time.sleep(1.5)
        wait_until(lambda: ProcessedEvent.objects.exists(), what="the event after the outage")
    finally:
        bridge.leave_on_stop = True
        bridge.shutdown()
    assert bridge.counts.by_outcome == {"applied": 1}
