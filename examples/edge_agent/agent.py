"""The agent's loop: poll each machine, turn changes into signed events, queue them on disk.

Only changes leave the floor (a status, a progress step, a counter that moved), each with its
event id and machine time fixed when it happened; the uplink sends them when it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from examples.edge_agent import signing
from examples.edge_agent.adapters import Adapter, Reading, adapter_for
from examples.edge_agent.buffer import Outbox
from examples.edge_agent.config import AgentConfig, MachineConfig

log = logging.getLogger("edge_agent")


@dataclass
class _Last:
    status: tuple | None = None
    progress: tuple | None = None
    counters: dict | None = None


def changes(last: _Last, reading: Reading, machine: MachineConfig) -> list[tuple[str, dict]]:
    """The events a reading makes, given what was sent before (and remembers it)."""
    events: list[tuple[str, dict]] = []
    if not reading.reachable:
        if not machine.down_when_unreachable:
            return events
        reading = Reading(status="down", note=reading.note or "Unreachable.")
    if reading.status is not None and (reading.status, reading.note) != last.status:
        last.status = (reading.status, reading.note)
        events.append(("status", {"status": reading.status, "note": reading.note}))
    if reading.percent is not None and (reading.job, reading.percent) != last.progress:
        last.progress = (reading.job, reading.percent)
        body: dict = {"percent": reading.percent}
        if reading.job is not None:
            body["job"] = reading.job
        events.append(("progress", body))
    if reading.counters and reading.counters != last.counters:
        last.counters = dict(reading.counters)
        events.append(("counters", {"counters": dict(reading.counters)}))
    return events


class Agent:
    def __init__(self, config: AgentConfig, outbox: Outbox, *, wake=None) -> None:
        self.config = config
        self.outbox = outbox
        self.wake = wake  # set when an event is queued, so the uplink sends it at once
        self.queued = 0

    def queue(self, machine_id: int, kind: str, fields: dict) -> None:
        platform = self.config.platform
        topic = signing.topic_for(platform.workshop, machine_id, kind)
        payload = signing.envelope(
            key_id=platform.key_id,
            secret=platform.secret,
            topic=topic,
            body=signing.new_event(fields),
        )
        self.outbox.put(topic, payload)
        self.queued += 1
        if self.wake is not None:
            self.wake.set()

    async def watch(self, machine: MachineConfig, adapter: Adapter, stop: asyncio.Event) -> None:
        last = _Last()
        while not stop.is_set():
            reading = await adapter.read()
            for kind, fields in changes(last, reading, machine):
                self.queue(machine.machine_id, kind, fields)
                log.info("machine %s: %s %s", machine.machine_id, kind, fields)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=machine.poll_s)
        await adapter.close()

    async def run(self, stop: asyncio.Event) -> None:
        adapters = [(m, adapter_for(m)) for m in self.config.machines]
        await asyncio.gather(*(self.watch(m, a, stop) for m, a in adapters))
