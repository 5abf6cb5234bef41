"""The shop floor end to end on a real Mosquitto: an OPC UA machine (asyncua server in the
test) read by the edge agent, published through a link that can be cut, applied by the bridge.
"""

from __future__ import annotations

import pytest

from marketplace.network.models import Machine
from marketplace.orders.models import Job
from marketplace.shopfloor.bridge import BrokerAddress
from marketplace.shopfloor.models import ProcessedEvent
from tests.factories import MachineFactory
from tests.helpers import at, workshop_of
from tests.marketplace.orders.outage_story import live_jobs, mill, order_with
from tests.marketplace.shopfloor.floor import (
    Floor,
    Link,
    agent_config,
    start_bridge,
    wait_until,
)
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bridge(mqtt_url):
    bridge = start_bridge(mqtt_url)
    yield bridge
    bridge.shutdown()


@pytest.fixture
def floor():
    floor = Floor()
    yield floor
    floor.close()


def _config(floor, device, machine_id, broker, **nodes):
    config = agent_config(
        broker=broker,
        device=device,
        machine_id=machine_id,
        nodes={name: floor.node_id(node) for name, node in nodes.items()},
    )
    config["machines"][0]["url"] = floor.opcua_url
    return config


def test_a_machine_going_down_on_the_floor_replans_its_order(
    small_network, fast_matcher, mqtt_url, bridge, floor, tmp_path
):
    stuttgart = mill("Stuttgart")
    order = order_with((stuttgart, at(2, 8), 2, "accepted"))
    device = device_of(small_network["bob"], stuttgart)
    floor.start_machine(State=0)
    floor.start_agent(
        _config(floor, device, stuttgart.pk, mqtt_url, status="State"), tmp_path / "buffer.sqlite3"
    )
    wait_until(lambda: ProcessedEvent.objects.filter(kind="status").exists(), what="first status")

    floor.set("State", 1)  # the controller's alarm

    wait_until(lambda: Machine.objects.get(pk=stuttgart.pk).status == "down", what="down")
    wait_until(lambda: order.jobs.filter(status=Job.Status.SUPERSEDED).exists(), what="re-plan")
    moved = live_jobs(order).get()
    assert moved.machine_id == mill("Eindhoven").pk
    assert order.events.filter(kind="order.outage").count() == 1
    change = stuttgart.status_changes.get(status="down")
    assert change.changed_by == small_network["bob"]


def test_a_cut_link_buffers_on_disk_and_every_event_arrives_once_in_order(
    workshop_bob, mqtt_url, bridge, floor, tmp_path
):
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    device = device_of(workshop_bob, machine)
    broker = BrokerAddress.from_url(mqtt_url)
    link = Link(broker.host, broker.port)
    floor.start_machine(State=0, Parts=0.0)
    agent = floor.start_agent(
        _config(
            floor,
            device,
            machine.pk,
            f"mqtt://127.0.0.1:{link.port}",
            status="State",
            **{"counter.parts": "Parts"},
        ),
        tmp_path / "buffer.sqlite3",
    )
    wait_until(lambda: ProcessedEvent.objects.count() == 2, what="the first two events")

    link.cut()
    wait_until(lambda: not floor.uplink.connected.is_set(), what="the agent to notice the cut")
    for parts in range(1, 16):
        floor.set("Parts", float(parts))
        if parts == 8:
            floor.set("State", 1)
        wait_until(lambda q=agent.queued: agent.queued > q, what="the agent to queue it")
    buffered = len(floor.uplink.outbox)
    assert buffered >= 16
    assert ProcessedEvent.objects.count() == 2

    link.restore()
    wait_until(
        lambda: ProcessedEvent.objects.count() == agent.queued,
        timeout=60,
        what="the buffered events",
    )
    wait_until(lambda: len(floor.uplink.outbox) == 0, what="the outbox to empty")
    events = list(ProcessedEvent.objects.order_by("pk"))
    assert len({e.event_id for e in events}) == len(events) == agent.queued
    times = [e.machine_time for e in events]
    assert times == sorted(times)
    assert {e.outcome for e in events} == {"applied"}
    machine.refresh_from_db()
    assert machine.status == "down"
    assert machine.feed.counters == {"parts": 15.0}
    link.cut()


def test_a_forged_event_for_another_workshops_machine_is_refused_and_reported(
    workshop_bob, workshop_charlie, mqtt_url, bridge, floor, tmp_path
):
    bobs_machine = MachineFactory(workshop=workshop_of(workshop_bob))
    bob = device_of(workshop_bob, bobs_machine)
    charlie = device_of(workshop_charlie, MachineFactory(workshop=workshop_of(workshop_charlie)))
    charlie.slug = bob.slug  # charlie's key, aimed at bob's workshop and machine
    floor.start_machine(State=1)
    floor.start_agent(
        _config(floor, charlie, bobs_machine.pk, mqtt_url, status="State"),
        tmp_path / "buffer.sqlite3",
    )

    wait_until(lambda: floor.uplink.refusals, what="the refusal on the errors topic")
    refusal = floor.uplink.refusals[0]
    assert refusal["code"] == "unknown_key"
    assert refusal["topic"] == f"cf/{bob.slug}/machines/{bobs_machine.pk}/status"
    bobs_machine.refresh_from_db()
    assert bobs_machine.status == "available"
    assert not bobs_machine.status_changes.exists()
    assert not ProcessedEvent.objects.exists()
