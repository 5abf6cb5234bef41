"""A simulated shop floor for the end-to-end tests: an OPC UA machine (asyncua server), the
edge agent, a link to the broker that can be cut, and a bridge (plain helpers, not tests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from asyncua import Server, ua

from examples.edge_agent.agent import Agent
from examples.edge_agent.buffer import Outbox
from examples.edge_agent.config import config_parse
from examples.edge_agent.uplink import Uplink
from marketplace.shopfloor.bridge import Bridge, BrokerAddress


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Link:
    """A TCP relay between the agent and the broker: ``cut`` drops every connection and
    refuses new ones, as a lost uplink does; ``restore`` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                inbound, _ = listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [inbound, outbound]
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread (close alone won't)
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class Floor:
    """One asyncio loop in a thread running the OPC UA machine and the edge agent."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: Server | None = None
        self.nodes: dict[str, object] = {}
        self.opcua_url = f"opc.tcp://127.0.0.1:{free_port()}/cf-test/"
        self._stop: asyncio.Event | None = None
        self._agent_future = None
        self.uplink: Uplink | None = None
        self.agent: Agent | None = None

    def call(self, coroutine, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start_machine(self, variables: dict[str, object]) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.opcua_url)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace("urn:cloudfactory:test-machine")
        mill = await server.nodes.objects.add_object(idx, "Mill")
        for name, value in variables.items():
            node_id = ua.NodeId(f"Mill.{name}", idx)
            self.nodes[name] = await mill.add_variable(node_id, name, value)
        await server.start()
        self.server = server
        self.namespace = idx

    def start_machine(self, **variables) -> None:
        self.call(self._start_machine(variables))

    def node_id(self, name: str) -> str:
        return f"ns={self.namespace};s=Mill.{name}"

    def set(self, name: str, value) -> None:
        node = self.nodes[name]
        self.call(node.write_value(value))

    def start_agent(self, config: dict, buffer: Path) -> Agent:
        parsed = config_parse(config)
        outbox = Outbox(buffer)
        self.uplink = Uplink(
            broker=parsed.platform.broker,
            workshop=parsed.platform.workshop,
            key_id=parsed.platform.key_id,
            outbox=outbox,
        )
        self.agent = Agent(parsed, outbox, wake=self.uplink.wake)
        self.uplink.start()

        async def run() -> None:
            self._stop = asyncio.Event()
            await self.agent.run(self._stop)

        self._agent_future = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return self.agent

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
            with contextlib.suppress(Exception):
                self._agent_future.result(10)
        if self.uplink is not None:
            self.uplink.stop()
            self.uplink.outbox.close()
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def start_bridge(mqtt_url: str) -> Bridge:
    """A bridge in its own group, so another test run on the same broker does not share it."""
    bridge = Bridge(
        BrokerAddress.from_url(mqtt_url),
        client_id=f"cf-bridge-test-{uuid.uuid4().hex[:8]}",
        group=f"cf-test-{uuid.uuid4().hex[:8]}",
        silence_every=3600,
        session_expiry=0,
    )
    bridge.start()
    wait_until(bridge.connected.is_set, what="the bridge to connect")
    time.sleep(0.2)  # the SUBACK
    return bridge


def agent_config(*, broker: str, device, machine_id: int, nodes: dict, **machine) -> dict:
    return {
        "platform": {
            "broker": broker,
            "workshop": device.slug,
            "key_id": device.key_id,
            "secret": device.secret,
        },
        "machines": [
            {
                "id": machine_id,
                "adapter": "opcua",
                "url": "",
                "poll_s": 0.1,
                "nodes": nodes,
                "status_map": {"0": "available", "1": "down", "2": "maintenance"},
                **machine,
            }
        ],
    }
