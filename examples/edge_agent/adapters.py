"""Adapters: each reads one machine on the workshop's own network and answers a `Reading`.

OPC UA (asyncua: a node map read every poll), OctoPrint and Moonraker (their REST APIs over
urllib), and printers that publish their state over MQTT (Bambu Lab and the like). A reading
that fails says so (``reachable=False``); the agent decides what that means.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from examples.edge_agent.config import MachineConfig

log = logging.getLogger("edge_agent.adapters")

HTTP_TIMEOUT = 5.0  # seconds


@dataclass(frozen=True)
class Reading:
    """What a machine says now, in the platform's words."""

    reachable: bool = True
    status: str | None = None  # available | down | maintenance
    note: str = ""
    percent: int | None = None
    job: int | None = None
    counters: dict[str, float] = field(default_factory=dict)


def _map_status(raw: Any, status_map: dict[str, str]) -> str | None:
    """The configured name for a raw value (``"2" -> "down"``); a value already named as the
    platform names it passes through; anything else is not a status."""
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if text in status_map:
        return status_map[text]
    return text if text in ("available", "down", "maintenance") else None


def _percent(value: Any, scale: float = 1.0) -> int | None:
    try:
        return max(0, min(100, round(float(value) * scale)))
    except (TypeError, ValueError, OverflowError):  # None, "abc", NaN, Infinity, 1e308 * 100
        return None


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class Adapter:
    def __init__(self, config: MachineConfig) -> None:
        self.config = config

    async def read(self) -> Reading:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class OpcUaAdapter(Adapter):
    """Reads the configured nodes (``status``, ``progress``, ``job``, ``note`` and any
    ``counter.<name>``) from a CNC controller or PLC; reconnects on the next poll after a
    failure."""

    def __init__(self, config: MachineConfig) -> None:
        super().__init__(config)
        self._client = None

    async def _connected(self):
        from asyncua import Client

        if self._client is None:
            client = Client(url=self.config.url, timeout=HTTP_TIMEOUT)
            await client.connect()
            self._client = client
        return self._client

    async def read(self) -> Reading:
        try:
            client = await self._connected()
            values = {}
            for name, node_id in self.config.nodes.items():
                values[name] = await client.get_node(node_id).read_value()
        except Exception as error:  # asyncua raises many kinds; all mean "no reading now"
            log.info("OPC UA %s: %s", self.config.url, error)
            await self.close()
            return Reading(reachable=False, note=f"OPC UA: {error}"[:255])
        counters = {
            name.removeprefix("counter."): float(value)
            for name, value in values.items()
            if name.startswith("counter.")
            and isinstance(value, int | float)
            and math.isfinite(value)  # the platform refuses NaN and infinities
        }
        job = values.get("job")
        return Reading(
            status=_map_status(values["status"], self.config.status_map)
            if "status" in values
            else None,
            note=str(values.get("note") or "")[:255],
            percent=_percent(values.get("progress"), self.config.progress_scale),
            job=int(job) if isinstance(job, int) and job > 0 else None,
            counters=counters,
        )

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):  # already gone
                await client.disconnect()


def _get_json(url: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
        return json.load(response)


class OctoPrintAdapter(Adapter):
    """OctoPrint's ``/api/printer`` (state flags) and ``/api/job`` (completion in %)."""

    async def read(self) -> Reading:
        headers = {"X-Api-Key": self.config.api_key} if self.config.api_key else {}
        base = self.config.url.rstrip("/")
        try:
            printer = await asyncio.to_thread(_get_json, f"{base}/api/printer", headers)
            job = await asyncio.to_thread(_get_json, f"{base}/api/job", headers)
        except Exception as error:
            return Reading(reachable=False, note=f"OctoPrint: {error}"[:255])
        flags = _dig(printer, "state.flags")
        flags = flags if isinstance(flags, dict) else {}
        down = bool(flags.get("error") or flags.get("closedOrError"))
        printing = bool(flags.get("printing") or flags.get("paused"))
        return Reading(
            status="down" if down else "available",
            note=str(_dig(printer, "state.text") or "") if down else "",
            percent=_percent(_dig(job, "progress.completion")) if printing else None,
        )


class MoonrakerAdapter(Adapter):
    """Klipper through Moonraker: ``webhooks`` (is Klipper up), ``print_stats`` and
    ``virtual_sdcard`` (progress 0..1)."""

    async def read(self) -> Reading:
        url = (
            f"{self.config.url.rstrip('/')}/printer/objects/query"
            "?webhooks&print_stats&virtual_sdcard"
        )
        try:
            data = await asyncio.to_thread(_get_json, url, {})
        except Exception as error:
            return Reading(reachable=False, note=f"Moonraker: {error}"[:255])
        status = _dig(data, "result.status") or {}
        klipper = _dig(status, "webhooks.state")
        printing = _dig(status, "print_stats.state")
        down = klipper in ("shutdown", "error") or printing == "error"
        note = _dig(status, "webhooks.state_message") or _dig(status, "print_stats.message")
        return Reading(
            status="down" if down else "available",
            note=str(note or "")[:255] if down else "",
            percent=_percent(_dig(status, "virtual_sdcard.progress"), 100.0)
            if printing in ("printing", "paused")
            else None,
        )


class MqttPrinterAdapter(Adapter):
    """A printer that publishes JSON reports on its own broker (e.g. a Bambu Lab printer on
    ``device/<serial>/report``): the latest report is read through configured paths."""

    def __init__(self, config: MachineConfig) -> None:
        super().__init__(config)
        from examples.edge_agent.uplink import mqtt_client

        self._latest: dict | None = None
        self._lock = threading.Lock()
        self._client, host, port = mqtt_client(
            config.url,
            client_id=f"cf-agent-printer-{config.machine_id}",
            tls_insecure=config.tls_insecure,
        )
        self._client.on_connect = lambda c, *a: c.subscribe(config.topic, qos=0)
        self._client.on_message = self._on_message
        self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        try:
            report = json.loads(message.payload)
        except (ValueError, RecursionError):
            return
        if not isinstance(report, dict):  # an exception here would end the MQTT thread
            return
        with self._lock:
            self._latest = _merge(self._latest or {}, report)  # reports are often partial

    async def read(self) -> Reading:
        with self._lock:
            report = self._latest
        if report is None:
            return Reading(reachable=False, note="No report from the printer yet.")
        paths = self.config.paths
        raw_status = _dig(report, paths.get("status", "print.gcode_state"))
        return Reading(
            status=_map_status(raw_status, self.config.status_map),
            percent=_percent(_dig(report, paths.get("progress", "print.mc_percent"))),
            note=str(_dig(report, paths.get("note", "")) or "")[:255] if "note" in paths else "",
        )

    async def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _merge(old: dict, new: dict) -> dict:
    merged = dict(old)
    for key, value in new.items():
        merged[key] = (
            _merge(old[key], value)
            if isinstance(old.get(key), dict) and isinstance(value, dict)
            else value
        )
    return merged


ADAPTERS = {
    "opcua": OpcUaAdapter,
    "octoprint": OctoPrintAdapter,
    "moonraker": MoonrakerAdapter,
    "mqtt": MqttPrinterAdapter,
}


def adapter_for(config: MachineConfig) -> Adapter:
    return ADAPTERS[config.adapter](config)
