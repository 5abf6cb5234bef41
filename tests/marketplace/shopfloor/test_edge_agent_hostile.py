"""Whatever a printer answers, the agent's adapters turn it into a reading: an odd answer
must never stop the agent, which watches every machine of the floor in one loop."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examples.edge_agent.adapters import (
    MoonrakerAdapter,
    MqttPrinterAdapter,
    OctoPrintAdapter,
    Reading,
)
from examples.edge_agent.config import MachineConfig


class _Answers(BaseHTTPRequestHandler):
    """A printer's web API answering the JSON text it is given, whatever the path."""

    text = "{}"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.text.encode())

    def log_message(self, *args):
        return None


@pytest.fixture(scope="module")
def printer_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["printing", "error", "shutdown", "paused", "ready"]),
)
_keys = st.sampled_from(
    [
        "state",
        "flags",
        "text",
        "error",
        "printing",
        "progress",
        "completion",
        "result",
        "status",
        "webhooks",
        "print_stats",
        "virtual_sdcard",
        "state_message",
        "message",
    ]
)
_answer = st.recursive(
    _leaf, lambda inner: st.dictionaries(_keys, inner, max_size=4) | st.lists(inner, max_size=2)
)


def _assert_a_reading(reading: Reading) -> None:
    assert isinstance(reading, Reading)
    assert reading.percent is None or 0 <= reading.percent <= 100


@pytest.mark.parametrize("adapter", [OctoPrintAdapter, MoonrakerAdapter])
@pytest.mark.parametrize(
    "answer",
    [
        {"state": {"flags": ["printing"]}, "progress": {"completion": 5}},
        {"state": {"flags": {"printing": True}}, "progress": {"completion": math.inf}},
        {"result": {"status": {"print_stats": {"state": "printing"}}}},
        {
            "result": {
                "status": {
                    "print_stats": {"state": "printing"},
                    "virtual_sdcard": {"progress": 1e308},
                }
            }
        },
    ],
)
def test_odd_printer_answers_become_a_reading(printer_url, adapter, answer):
    _Answers.text = json.dumps(answer)
    machine = MachineConfig(machine_id=1, adapter="octoprint", url=printer_url)
    _assert_a_reading(asyncio.run(adapter(machine).read()))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answer=_answer, adapter=st.sampled_from([OctoPrintAdapter, MoonrakerAdapter]))
def test_any_json_a_printer_answers_becomes_a_reading(printer_url, answer, adapter):
    _Answers.text = json.dumps(answer)
    machine = MachineConfig(machine_id=1, adapter="octoprint", url=printer_url)
    _assert_a_reading(asyncio.run(adapter(machine).read()))


@pytest.mark.parametrize("odd", [b"[]", b"42", b'"text"', b"[" * 5000 + b"]" * 5000])
def test_an_mqtt_printer_report_that_is_not_an_object_is_ignored(odd):
    machine = MachineConfig(
        machine_id=1, adapter="mqtt", url="mqtt://127.0.0.1:9", topic="device/1/report"
    )
    adapter = MqttPrinterAdapter(machine)
    try:
        good = json.dumps({"print": {"gcode_state": "RUNNING", "mc_percent": 40}}).encode()
        adapter._on_message(None, None, SimpleNamespace(payload=good))
        adapter._on_message(None, None, SimpleNamespace(payload=odd))
        adapter._on_message(
            None,
            None,
            SimpleNamespace(payload=json.dumps({"print": {"mc_percent": math.inf}}).encode()),
        )
        reading = asyncio.run(adapter.read())
    finally:
        asyncio.run(adapter.close())
    _assert_a_reading(reading)
