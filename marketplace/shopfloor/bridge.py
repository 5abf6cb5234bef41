"""The MQTT bridge: subscribes to every workshop's machine topics and feeds ``event_ingest``.

Several bridges may run at once: they share one MQTT 5 shared subscription, so the broker
hands each message to one of them, and the (workshop, event id) table is the real guard when
a message is delivered twice (a bridge dying before its PUBACK). The bridge acknowledges a
QoS 1 message itself, only once its event is committed or refused: while the database is
unreachable it keeps trying, and a bridge stopped meanwhile leaves the message unacknowledged,
so the broker hands it over again when the bridge's session comes back.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from django.db import InterfaceError, OperationalError, close_old_connections
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from marketplace.shopfloor import protocol
from marketplace.shopfloor.services import (
    IngestResult,
    error_message,
    event_ingest,
    machines_silence_check,
)

log = logging.getLogger(__name__)

SESSION_EXPIRY = 3600  # seconds the broker keeps a stopped bridge's unacknowledged messages
DB_RETRY_MAX_S = 30.0  # the longest wait between two tries while the database is unreachable


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """``mqtt://user:pass@host:1883`` or ``mqtts://...`` (TLS, port 8883 by default)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"{url!r} is not an mqtt:// or mqtts:// address.")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=parts.username,
            password=parts.password,
            tls=tls,
        )


@dataclass
class BridgeCounts:
    received: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


class Bridge:
    """One bridge process's MQTT client; ``run`` blocks until ``stop`` (or SIGTERM) is called."""

    def __init__(
        self,
        broker: BrokerAddress,
        *,
        client_id: str | None = None,
        group: str = protocol.SHARED_GROUP,
        silence_every: float = 60.0,
        session_expiry: int = SESSION_EXPIRY,
        leave_on_stop: bool = False,
        on_result: Callable[[str, IngestResult], None] | None = None,
    ) -> None:
        self.broker = broker
        self.subscription = f"$share/{group}/{protocol.SUBSCRIPTION}"
        self.silence_every = silence_every
        self.session_expiry = session_expiry
        self.leave_on_stop = leave_on_stop
        self.on_result = on_result
        self.counts = BridgeCounts()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or f"cf-bridge-{socket.gethostname()}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- paho callbacks (the network thread) --------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("The broker refused the bridge: %s", reason_code)
            return
        client.subscribe(self.subscription, qos=1)
        log.info(
            "Bridge connected to %s:%s, %s", self.broker.host, self.broker.port, self.subscription
        )
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("Bridge lost the broker (%s); reconnecting.", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        if self.handle(message.topic, message.payload) is not None:
            client.ack(message.mid, message.qos)

    def handle(self, topic: str, payload: bytes) -> IngestResult | None:
        """One message through the intake; a refusal goes back to the workshop's errors topic.

        None: the database stayed unreachable until the bridge was stopped, so nothing was
        decided and the message must not be acknowledged (a bug, unlike an outage, is answered
        'internal' and acknowledged, lest one message block the bridge forever)."""
        delay = 1.0
        while True:
            close_old_connections()  # a long-lived process outlives its database connections
            try:
                result = event_ingest(topic=topic, payload=payload)
                break
            except (OperationalError, InterfaceError) as error:
                log.warning("The database is unreachable (%s); retrying in %.0f s.", error, delay)
                if self._stop.wait(delay):
                    return None
                delay = min(delay * 2, DB_RETRY_MAX_S)
            except Exception:
                log.exception("The intake failed on a message of %s", topic)
                result = IngestResult("rejected", code="internal", reason="The platform failed.")
                break
        self.counts.received += 1
        self.counts.by_outcome[result.outcome] = self.counts.by_outcome.get(result.outcome, 0) + 1
        if result.is_error and result.workshop_slug:
            self.client.publish(
                protocol.errors_topic(result.workshop_slug),
                error_message(result, topic=topic),
                qos=1,
            )
        if self.on_result is not None:
            self.on_result(topic, result)
        return result

    # -- life cycle (the calling thread) ------------------------------------------------------
    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry
        self.client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def run(self) -> None:
        """Serve until ``stop``; between messages, the silence watch runs on its own timer."""
        self.start()
        while not self._stop.wait(self.silence_every):
            try:
                close_old_connections()
                downed = machines_silence_check()
                if downed:
                    log.info("Silent machines set down: %s", downed)
            except Exception:
                log.exception("The silence watch failed; trying again next round.")
        self.shutdown()

    def stop(self, *args) -> None:
        """Safe from a signal handler: it only sets a flag."""
        self._stop.set()

    def shutdown(self) -> None:
        """Finish the message in hand, then leave the broker cleanly (no will, no error).

        The broker keeps a stopped bridge's session, and goes on handing it its share of the
        shared subscription until it comes back under the same client id; a bridge retired
        for good (``leave_on_stop``) ends its session instead, so its share goes to the others.
        """
        self._stop.set()
        properties = None
        if self.leave_on_stop:
            properties = Properties(PacketTypes.DISCONNECT)
            properties.SessionExpiryInterval = 0
        self.client.disconnect(properties=properties)
        self.client.loop_stop()
        close_old_connections()
