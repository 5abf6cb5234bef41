"""Benchmark of the shop floor: events per second through the MQTT bridge, and the delay from
the machine to the order page, beside the REST API path in the same run.

Run from the repository root: ``python benchmarks/bench_shopfloor.py [--events 2000]
[--rounds 30]``. Needs an MQTT 5 broker (``BENCH_MQTT_URL``, default the local Mosquitto on
1883). Uses a scratch SQLite database in ``benchmarks/.work/`` (or ``DATABASE_URL``) holding
the small test network and one running order; the bridge runs in this process, in its own
shared-subscription group, as ``manage.py shopfloor_bridge`` would.

Throughput (events per second, each a signed counters event):

- ``bridge``: published with QoS 1 by one client, at most 500 ahead of the bridge (a broker
  drops what overflows a slow subscriber's queue), counted when the bridge has applied the
  last one (broker, bridge, signature check, record, apply, commit);
- ``intake``: ``event_ingest`` called directly on the same kind of events (no broker): what
  the bridge's own work costs;
- ``REST``: ``POST /api/v1/jobs/{id}/progress/`` through Django's test client (token-less,
  authenticated in process, so no HTTP server and no network): the baseline.

Delay to the order page's data (median and 95th percentile over ``--rounds``): from the moment
the machine says a new percentage until the step's row the order page reads holds it
(committed; polled every 2 ms), after which the page is rendered once to check it shows it:

- ``OPC UA -> agent -> MQTT``: a value written in an OPC UA server (asyncua), read by the edge
  agent polling every 50 ms, published, bridged and applied;
- ``MQTT``: a signed progress event published by the device itself;
- ``REST``: the progress POST (the baseline);
- and, for scale, one render of the customer's order page.

The broker, the bridge, the agent and the page reads share this machine's processor.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
sys.path.insert(0, str(ROOT))
WORK.mkdir(parents=True, exist_ok=True)
DB_FILE = WORK / "shopfloor.sqlite3"
AHEAD = 500  # messages published ahead of the bridge
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB_FILE}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

import paho.mqtt.client as mqtt  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from marketplace.network.models import Machine  # noqa: E402
from marketplace.orders.models import Job  # noqa: E402
from marketplace.shopfloor.bridge import Bridge, BrokerAddress  # noqa: E402
from marketplace.shopfloor.models import ProcessedEvent  # noqa: E402
from marketplace.shopfloor.services import device_key_create, event_ingest  # noqa: E402
from tests.factories import MembershipFactory, UserFactory  # noqa: E402
from tests.factories.network import build_small_network  # noqa: E402
from tests.marketplace.orders.outage_story import order_with  # noqa: E402
from tests.marketplace.shopfloor.floor import Floor, agent_config, wait_until  # noqa: E402
from tests.marketplace.shopfloor.shopfloor_story import Device  # noqa: E402


def prepare():
    """A fresh database with the small network and one order running on the Stuttgart mill."""
    if os.environ["DATABASE_URL"] == f"sqlite:///{DB_FILE}":
        DB_FILE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    network = build_small_network()
    bob = network["bob"]
    machines = list(Machine.objects.filter(workshop=network["stuttgart"]).order_by("pk"))
    mill = next(m for m in machines if m.name.startswith("Mill of"))
    now = datetime.now(UTC)
    order = order_with((mill, now - timedelta(hours=1), 8, "in_progress", 0))
    customer = UserFactory(email="customer@bench.example")
    MembershipFactory(user=customer, organization=order.organization)
    key, secret = device_key_create(user=bob, workshop=network["stuttgart"], name="bench")
    slug = network["stuttgart"].organization.slug
    devices = [Device(slug, m, key.key_id, secret) for m in machines]
    return bob, customer, order, order.jobs.get(), devices


def counters_messages(devices, count: int, start: datetime) -> list[tuple[str, bytes]]:
    return [
        devices[i % len(devices)].message(
            "counters", at=start + timedelta(milliseconds=i), counters={"parts": i}
        )
        for i in range(count)
    ]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def throughput(bridge: Bridge, publisher: mqtt.Client, devices, job: Job, bob, count: int):
    rows = []
    start = datetime.now(UTC) - timedelta(minutes=5)
    messages = counters_messages(devices, count, start)
    before = bridge.counts.received
    began = time.perf_counter()
    for sent, (topic, payload) in enumerate(messages):
        # At most AHEAD messages waiting for the bridge: a broker drops what exceeds its queue
        # for a slow subscriber (Mosquitto's max_queued_messages, 1000 by default).
        while sent - (bridge.counts.received - before) >= AHEAD:
            time.sleep(0.005)
        publisher.publish(topic, payload, qos=1)
    wait_until(lambda: bridge.counts.received - before >= count, timeout=600, what="the bridge")
    rows.append(("bridge (MQTT, QoS 1)", count, time.perf_counter() - began))

    direct = counters_messages(devices, count, start + timedelta(minutes=1))
    began = time.perf_counter()
    for topic, payload in direct:
        event_ingest(topic=topic, payload=payload)
    rows.append(("intake alone (no broker)", count, time.perf_counter() - began))

    client = APIClient()
    client.force_authenticate(bob)
    url = f"/api/v1/jobs/{job.pk}/progress/"
    rest = max(50, count // 5)
    began = time.perf_counter()
    for i in range(rest):
        response = client.post(url, {"percent": i % 100}, format="json")
        assert response.status_code == 200, response.content[:200]
    rows.append(("REST progress POST (baseline)", rest, time.perf_counter() - began))
    applied = ProcessedEvent.objects.filter(outcome="applied").count()
    return rows, applied


def page_shows(page_client, order, percent: int) -> bool:
    html = page_client.get(reverse("order_detail", args=[order.pk])).content
    return f'<progress value="{percent}" max="100">'.encode() in html


def page_data_shows(job: Job, percent: int) -> bool:
    """What the order page reads for the step (a committed row), polled far more cheaply and
    so more finely than rendering the page."""
    return Job.objects.filter(pk=job.pk, progress_percent=percent).exists()


def delays(kind: str, rounds: int, say, page_client, order, job: Job) -> list[float]:
    """Seconds from the machine's new percentage to the order page's data; the page itself is
    then rendered once to check it shows the figure (not timed: see the render row)."""
    result = []
    for i in range(rounds):
        percent = 1 + (i * 7 + (3 if kind == "REST" else 0)) % 98
        if page_data_shows(job, percent):
            percent = percent % 98 + 1
        began = time.perf_counter()
        say(percent)
        deadline = began + 30
        while not page_data_shows(job, percent):
            if time.perf_counter() > deadline:
                raise AssertionError(f"{kind}: {percent} % never reached the order page's data")
            time.sleep(0.002)
        result.append(time.perf_counter() - began)
        assert page_shows(page_client, order, percent), f"{kind}: the page lacks {percent} %"
    return result


def page_renders(page_client, order, rounds: int) -> list[float]:
    result = []
    for _ in range(rounds):
        began = time.perf_counter()
        page_client.get(reverse("order_detail", args=[order.pk]))
        result.append(time.perf_counter() - began)
    return result


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(values) * 1000:8.1f} | {p95 * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    setup_test_environment()
    logging.getLogger("asyncua").setLevel(logging.WARNING)
    logging.getLogger("edge_agent").setLevel(logging.WARNING)
    broker_url = os.environ.get("BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")
    broker = BrokerAddress.from_url(broker_url)
    bob, customer, order, job, devices = prepare()

    bridge = Bridge(
        broker,
        client_id=f"cf-bench-{uuid.uuid4().hex[:6]}",
        group=f"cf-bench-{uuid.uuid4().hex[:6]}",
        silence_every=3600,
        session_expiry=0,
    )
    bridge.start()
    wait_until(bridge.connected.is_set, what="the bridge to connect")
    time.sleep(0.3)
    publisher = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"cf-bench-pub-{uuid.uuid4().hex[:6]}",
    )
    publisher.max_inflight_messages_set(100)
    publisher.max_queued_messages_set(0)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    mill = devices[[d.machine.pk for d in devices].index(job.machine_id)]

    rows, applied = throughput(bridge, publisher, devices, job, bob, args.events)

    page_client = django.test.Client()
    page_client.force_login(customer)
    rest_client = APIClient()
    rest_client.force_authenticate(bob)
    rest_url = f"/api/v1/jobs/{job.pk}/progress/"

    def by_mqtt(percent: int) -> None:
        topic, payload = mill.message("progress", percent=percent, job=job.pk)
        publisher.publish(topic, payload, qos=1)

    def by_rest(percent: int) -> None:
        assert rest_client.post(rest_url, {"percent": percent}, format="json").status_code == 200

    floor = Floor()
    try:
        floor.start_machine(Progress=0.0)
        config = agent_config(
            broker=broker_url,
            device=mill,
            machine_id=job.machine_id,
            nodes={"progress": floor.node_id("Progress")},
            poll_s=0.05,
        )
        config["machines"][0]["url"] = floor.opcua_url
        with tempfile.TemporaryDirectory() as scratch:
            floor.start_agent(config, Path(scratch) / "buffer.sqlite3")
            by_agent = delays(
                "agent",
                args.rounds,
                lambda p: floor.set("Progress", float(p)),
                page_client,
                order,
                job,
            )
            floor.close()
        by_topic = delays("MQTT", args.rounds, by_mqtt, page_client, order, job)
        by_api = delays("REST", args.rounds, by_rest, page_client, order, job)
        renders = page_renders(page_client, order, args.rounds)
    finally:
        bridge.shutdown()
        publisher.disconnect()
        publisher.loop_stop()

    print(
        f"\nShop floor, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"database {django.db.connection.vendor}, broker {broker.host}:{broker.port}\n"
    )
    print("| path | events | seconds | events/s |")
    print("| --- | ---: | ---: | ---: |")
    for name, count, seconds in rows:
        print(f"| {name} | {count} | {seconds:.2f} | {rate(count, seconds)} |")
    print(f"\n{applied} events applied through the intake in all.\n")
    print("| machine -> order page data | median ms | p95 ms |")
    print("| --- | ---: | ---: |")
    print(f"| OPC UA -> edge agent (50 ms poll) -> MQTT -> bridge | {summary(by_agent)} |")
    print(f"| device publishes on MQTT -> bridge | {summary(by_topic)} |")
    print(f"| REST progress POST (baseline) | {summary(by_api)} |")
    print(f"| (rendering the order page once, for scale) | {summary(renders)} |")


if __name__ == "__main__":
    main()
