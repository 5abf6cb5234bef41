"""An MQTT printer (Bambu Lab style reports on its own broker) read by the edge agent's adapter,
on a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
import uuid

import paho.mqtt.publish as publish
import pytest

from examples.edge_agent.adapters import MqttPrinterAdapter
from examples.edge_agent.config import MachineConfig
from marketplace.shopfloor.bridge import BrokerAddress
from tests.marketplace.shopfloor.floor import wait_until

pytestmark = pytest.mark.services


def test_partial_reports_are_merged_and_mapped(mqtt_url):
    broker = BrokerAddress.from_url(mqtt_url)
    topic = f"device/{uuid.uuid4().hex}/report"
    adapter = MqttPrinterAdapter(
        MachineConfig(
            machine_id=15,
            adapter="mqtt",
            url=mqtt_url,
            topic=topic,
            status_map={"RUNNING": "available", "FAILED": "down"},
        )
    )
    try:
        assert asyncio.run(adapter.read()).reachable is False  # nothing heard yet
        wait_until(lambda: adapter._client.is_connected(), what="the adapter to connect")

        def say(report: dict) -> None:
            publish.single(topic, json.dumps(report), hostname=broker.host, port=broker.port)

        first = {"print": {"gcode_state": "RUNNING", "mc_percent": 12}}
        # Said again until heard: the adapter's subscription may still be on its way.
        wait_until(
            lambda: say(first) or asyncio.run(adapter.read()).percent == 12,
            what="the first report",
        )
        say({"print": {"mc_percent": 13}})  # a partial report keeps the state
        wait_until(lambda: asyncio.run(adapter.read()).percent == 13, what="the partial report")
        assert asyncio.run(adapter.read()).status == "available"
        say({"print": {"gcode_state": "FAILED"}})
        wait_until(lambda: asyncio.run(adapter.read()).status == "down", what="the failure")
    finally:
        asyncio.run(adapter.close())
