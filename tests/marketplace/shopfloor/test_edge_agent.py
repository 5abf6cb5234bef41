"""The edge agent without a platform: its configuration, what a reading becomes, the outbox on
disk, and the printer adapters against local stand-ins of OctoPrint and Moonraker."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examples.edge_agent.adapters import MoonrakerAdapter, OctoPrintAdapter, Reading
from examples.edge_agent.agent import _Last, changes
from examples.edge_agent.buffer import Outbox
from examples.edge_agent.config import ConfigError, MachineConfig, config_load, config_parse

PLATFORM = {
    "broker": "mqtt://127.0.0.1:1883",
    "workshop": "mill-works",
    "key_id": "dk_1",
    "secret": "s",
}


def _machine(**fields) -> MachineConfig:
    return MachineConfig(**{"machine_id": 1, "adapter": "octoprint", "url": "http://x", **fields})


def test_the_example_configuration_in_the_readme_folder_loads():
    config = config_load("examples/edge_agent/agent.example.toml")
    assert {m.adapter for m in config.machines} == {"opcua", "octoprint", "moonraker", "mqtt"}


@pytest.mark.parametrize(
    ("machines", "message"),
    [
        ([], "at least one"),
        ([{"id": 1, "adapter": "modbus", "url": "x"}], "adapter must be one of"),
        ([{"id": 1, "adapter": "opcua", "url": "opc.tcp://x"}], "node"),
        ([{"id": 1, "adapter": "mqtt", "url": "mqtt://x"}], "topic"),
        ([{"adapter": "octoprint", "url": "http://x"}], "'id'"),
        (
            [{"id": 1, "adapter": "octoprint", "url": "x", "status_map": {"1": "broken"}}],
            "status_map",
        ),
        ([{"id": 1, "adapter": "octoprint", "url": "x"}] * 2, "once"),
    ],
)
def test_a_wrong_configuration_says_where(machines, message):
    with pytest.raises(ConfigError, match=message):
        config_parse({"platform": PLATFORM, "machines": machines})


def test_a_missing_secret_is_named():
    with pytest.raises(ConfigError, match="secret"):
        config_parse(
            {
                "platform": {**PLATFORM, "secret": ""},
                "machines": [{"id": 1, "adapter": "octoprint", "url": "x"}],
            }
        )


def test_only_changes_leave_the_floor():
    last, machine = _Last(), _machine()
    first = changes(last, Reading(status="available", percent=10), machine)
    assert [kind for kind, _ in first] == ["status", "progress"]
    assert changes(last, Reading(status="available", percent=10), machine) == []
    assert changes(last, Reading(status="down", note="Jam", percent=10), machine) == [
        ("status", {"status": "down", "note": "Jam"})
    ]


def test_an_unreachable_machine_is_reported_down_only_when_configured():
    reading = Reading(reachable=False, note="timed out")
    assert changes(_Last(), reading, _machine()) == []
    assert changes(_Last(), reading, _machine(down_when_unreachable=True)) == [
        ("status", {"status": "down", "note": "timed out"})
    ]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(st.binary(max_size=20), max_size=5), max_size=5))
def test_the_outbox_gives_back_every_event_once_in_order_across_restarts(tmp_path_factory, batches):
    path = tmp_path_factory.mktemp("outbox") / "buffer.sqlite3"
    sent, expected = [], []
    for batch in batches:
        outbox = Outbox(path)  # a restart between batches
        for payload in batch:
            outbox.put("cf/w/machines/1/counters", payload)
            expected.append(payload)
        if (pending := outbox.oldest()) is not None:
            sent.append(pending.payload)
            outbox.remove(pending.seq)
        outbox.close()
    outbox = Outbox(path)
    while (pending := outbox.oldest()) is not None:
        sent.append(pending.payload)
        outbox.remove(pending.seq)
    assert sent == expected


class _Stub(BaseHTTPRequestHandler):
    routes: dict[str, dict] = {}
    seen_headers: list = []

    def do_GET(self):
        self.seen_headers.append(dict(self.headers))
        body = self.routes.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())

    def log_message(self, *args):
        return None


@pytest.fixture
def stub_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_octoprint_printing_reports_its_completion(stub_server):
    _Stub.routes = {
        "/api/printer": {"state": {"text": "Printing", "flags": {"printing": True}}},
        "/api/job": {"progress": {"completion": 42.6}},
    }
    url = f"http://127.0.0.1:{stub_server.server_port}"
    reading = asyncio.run(OctoPrintAdapter(_machine(url=url, api_key="k")).read())
    assert (reading.status, reading.percent) == ("available", 43)
    assert _Stub.seen_headers[-1]["X-Api-Key"] == "k"


def test_octoprint_in_error_is_down_with_its_message(stub_server):
    _Stub.routes = {
        "/api/printer": {"state": {"text": "Error: thermal runaway", "flags": {"error": True}}},
        "/api/job": {"progress": {"completion": None}},
    }
    url = f"http://127.0.0.1:{stub_server.server_port}"
    reading = asyncio.run(OctoPrintAdapter(_machine(url=url)).read())
    assert (reading.status, reading.note, reading.percent) == (
        "down",
        "Error: thermal runaway",
        None,
    )


def test_moonraker_reads_klipper_state_and_progress(stub_server):
    _Stub.routes = {
        "/printer/objects/query": {
            "result": {
                "status": {
                    "webhooks": {"state": "ready"},
                    "print_stats": {"state": "printing"},
                    "virtual_sdcard": {"progress": 0.257},
                }
            }
        }
    }
    url = f"http://127.0.0.1:{stub_server.server_port}"
    reading = asyncio.run(MoonrakerAdapter(_machine(adapter="moonraker", url=url)).read())
    assert (reading.status, reading.percent) == ("available", 26)


def test_a_printer_that_does_not_answer_is_unreachable_not_down():
    reading = asyncio.run(MoonrakerAdapter(_machine(url="http://127.0.0.1:9")).read())
    assert reading.reachable is False
    assert reading.status is None
