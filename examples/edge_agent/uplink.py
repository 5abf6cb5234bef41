"""The link to the platform: one MQTT client that drains the outbox oldest first, one event in
flight at a time, and deletes an event only once the broker has acknowledged it (QoS 1 PUBACK).

One in flight keeps the order across reconnects: nothing newer leaves before the older event
is acknowledged. A PUBACK lost with the link makes the agent send the event again; the
platform recognises its event id and applies it once.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from examples.edge_agent.buffer import Outbox

log = logging.getLogger("edge_agent.uplink")

ACK_TIMEOUT = 10.0  # seconds to wait for a PUBACK before sending the event again


def mqtt_client(
    url: str, *, client_id: str, username: str | None = None, tls_insecure: bool = False
) -> tuple[mqtt.Client, str, int]:
    """A paho client for ``mqtt://[user:pass@]host[:port]`` or ``mqtts://`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"{url!r} is not an mqtt:// or mqtts:// address.")
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
    )
    user = parts.username or username
    if user:
        client.username_pw_set(user, parts.password)
    if parts.scheme == "mqtts":
        client.tls_set(cert_reqs=ssl.CERT_NONE if tls_insecure else ssl.CERT_REQUIRED)
        client.tls_insecure_set(tls_insecure)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client, parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883)


class Uplink:
    def __init__(self, *, broker: str, workshop: str, key_id: str, outbox: Outbox) -> None:
        self.outbox = outbox
        self.workshop = workshop
        # The MQTT user name is the key id: a production broker can confine each key to its
        # workshop's topics (docs/shop-floor-mqtt.md); the HMAC is what the platform checks.
        self.client, self.host, self.port = mqtt_client(
            broker, client_id=f"cf-agent-{key_id}", username=key_id
        )
        self.connected = threading.Event()
        self.wake = threading.Event()
        self.sent = 0
        self.refusals: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="uplink", daemon=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("The platform's broker refused the agent: %s", reason_code)
            return
        client.subscribe(f"cf/{self.workshop}/errors", qos=1)
        log.info(
            "Connected to the platform (%s:%s); %d event(s) waiting.",
            self.host,
            self.port,
            len(self.outbox),
        )
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("Lost the platform (%s): buffering on disk.", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        try:
            refusal = json.loads(message.payload)
        except ValueError:
            return
        self.refusals.append(refusal)
        log.warning("The platform refused %s: %s", refusal.get("topic"), refusal.get("reason"))

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=15)
        self.client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=ACK_TIMEOUT + 1)
        self.client.disconnect()
        self.client.loop_stop()

    def _drain(self) -> None:
        while not self._stop.is_set():
            if not self.connected.wait(timeout=0.5):
                continue
            pending = self.outbox.oldest()
            if pending is None:
                self.wake.wait(timeout=0.5)
                self.wake.clear()
                continue
            info = self.client.publish(pending.topic, pending.payload, qos=1)
            try:
                info.wait_for_publish(timeout=ACK_TIMEOUT)
            except (RuntimeError, ValueError) as error:
                log.info("Event %d not sent (%s); trying again.", pending.seq, error)
                self._stop.wait(0.5)
                continue
            if info.is_published():
                self.outbox.remove(pending.seq)
                self.sent += 1
