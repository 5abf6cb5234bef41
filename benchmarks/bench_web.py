"""Benchmark of the production layout: uvicorn processes on PostgreSQL and Redis, several roles.

Run from the repository root: ``python benchmarks/bench_web.py [--clients 1,50,200]
[--seconds 10] [--web 2]``. Needs PostgreSQL (``BENCH_POSTGRES_URL``, default the local server
as ``postgres``) and Redis (``BENCH_REDIS_URL``, default database 14 of the local server).

1. Prepares database ``cf_bench``: migrations, the demo data (``seed_demo``), static files, and
   one signed-in session per role (customer, workshop, operator).
2. Starts ``--web`` uvicorn processes in production mode (pool and request bound as configured
   by the environment; Celery eager, so no worker is needed for these read-only pages).
3. For each client count, ``--seconds`` of the page and API mix below, each client a thread
   with a keep-alive connection, signed in as one role in turn; then the same clients on the
   baseline, a minimal Django view (the cached basemap document: middleware, URL resolution,
   no database, no template).
4. Prints per page the median and 95th percentile of the time to the last byte as the client
   sees it (queueing included), the throughput, the errors, and the peak number of PostgreSQL
   connections to ``cf_bench`` sampled every 50 ms.

The load generator runs on the same machine as the servers and takes part of its processor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
DATABASE = "cf_bench"
FIRST_PORT = 8100
WEB = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning"]
BASELINE = "/network/basemap/-12_35_32.5_61_1000.svg"

# What each role opens, in turn; {order} is one of the customer's orders.
MIX = {
    "customer": ["/dashboard/", "/orders/", "{order}", "/network/", "/api/v1/orders/"],
    "workshop": ["/dashboard/", "/jobs/", "/api/v1/jobs/"],
    "operator": ["/dashboard/", "/network/", "/api/v1/orders/"],
}
SESSIONS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from importlib import import_module
from django.conf import settings
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
from marketplace.orders.models import Order
emails = {"customer": "alice@demo.cloudfactory.example",
          "workshop": "bob@demo.cloudfactory.example",
          "operator": "olga@demo.cloudfactory.example"}
out = {}
for role, email in emails.items():
    user = get_user_model().objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    out[role] = store.session_key
order = Order.objects.filter(organization__memberships__user__email=emails["customer"]).first()
out["order"] = f"/orders/{order.pk}/" if order else "/orders/"
print(json.dumps(out))
"""


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "STATIC_ROOT": str(WORK / "static"),
        "MEDIA_ROOT": str(WORK / "media"),
        "LOG_LEVEL": "WARNING",
        # Capacity, not the API's rate limits, is measured: one user stands for many here.
        "API_THROTTLE_USER": "1000000/min",
        "API_THROTTLE_ANON": "1000000/min",
    }


def prepare(server_url: str, env: dict[str, str]) -> dict[str, str]:
    """Creates and fills the database once; returns a session per role and an order's page."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", [DATABASE]).fetchone():
            admin.execute(f'create database "{DATABASE}"')
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["seed_demo"], ["collectstatic", "--no-input"]):
        subprocess.run(manage + command + ["-v", "0"], cwd=ROOT, env=env, check=True)
    code = "import django; django.setup()\n" + SESSIONS
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_web(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    servers = [
        subprocess.Popen(
            [*WEB, "--port", str(FIRST_PORT + i), "config.asgi:application"],
            cwd=ROOT,
            env={**env, "ASGI_THREADS": "4"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    deadline = time.monotonic() + 120
    for i in range(count):
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", FIRST_PORT + i, timeout=5)
                connection.request("GET", BASELINE)
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    return servers


def warm_up(ports: list[int], pages: list[tuple[str, str, str]]) -> None:
    """Each page once per process, so imports and template caches are not measured; a page
    that does not answer 200 here (a session the site does not accept, a redirect to sign in)
    stops the benchmark instead of timing an error page."""
    for port in ports:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for label, path, cookie in pages:
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{label} answered {response.status} before the run, not 200")
        connection.close()


class PeakConnections(threading.Thread):
    """Samples the connections to the benchmark database every 50 ms."""

    def __init__(self, server_url: str) -> None:
        super().__init__(daemon=True)
        self.server_url, self.peak, self.stop = server_url, 0, threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as probe:
            while not self.stop.is_set():
                (count,) = probe.execute(
                    "select count(*) from pg_stat_activity where datname = %s", [DATABASE]
                ).fetchone()
                self.peak = max(self.peak, count)
                time.sleep(0.05)


def drive(
    clients: int, seconds: float, ports: list[int], pages: list[tuple[str, str, str]]
) -> dict[str, list[tuple[float, int]]]:
    """`clients` threads, each looping over its share of `pages` (label, path, cookie)."""
    results: dict[str, list[tuple[float, int]]] = defaultdict(list)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        port = ports[index % len(ports)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = pages[index % len(pages) :] + pages[: index % len(pages)]
        step = 0
        while time.monotonic() < stop_at:
            label, path, cookie = mine[step % len(mine)]
            step += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                results[label].append((time.perf_counter() - started, status))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(title: str, results: dict, seconds: float, peak: int) -> None:
    print(f"\n### {title}\n")
    print("| page | requests | median ms | p95 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: |")
    total = errors = 0
    for label in sorted(results):
        times = sorted(t for t, _ in results[label])
        bad = sum(1 for _, status in results[label] if status != 200)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"| {label} | {len(times)} | {statistics.median(times) * 1000:.0f} "
            f"| {p95 * 1000:.0f} | {bad} |"
        )
        total, errors = total + len(times), errors + bad
    print(
        f"\n{total / seconds:.0f} requests/s, {errors} errors, peak PostgreSQL connections {peak}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,50,200", help="client counts (default 1,50,200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per mix and count")
    parser.add_argument("--web", type=int, default=2, help="uvicorn processes (one per core)")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    database_url = urlunparse(urlparse(server_url)._replace(path=f"/{DATABASE}"))
    WORK.mkdir(parents=True, exist_ok=True)
    env = production_env(database_url, redis_url)
    print("Preparing the database, the demo data and the static files...", flush=True)
    sessions = prepare(server_url, env)
    pages = [
        (
            f"{role} {path.format(order='order page')}",
            path.format(order=sessions["order"]),
            f"sessionid={sessions[role]}",
        )
        for role, paths in MIX.items()
        for path in paths
    ]
    baseline = [("baseline: minimal view", BASELINE, "")]
    servers = start_web(args.web, env)
    ports = [FIRST_PORT + i for i in range(args.web)]
    try:
        warm_up(ports, pages)
        print(f"\n## Production layout: {args.web} uvicorn processes, {args.seconds:g} s per run")
        for clients in (int(n) for n in args.clients.split(",")):
            for title, mix in (
                (f"{clients} clients, page mix", pages),
                (f"{clients} clients, baseline", baseline),
            ):
                sampler = PeakConnections(server_url)
                sampler.start()
                results = drive(clients, args.seconds, ports, mix)
                sampler.stop.set()
                sampler.join()
                report(title, results, args.seconds, sampler.peak)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
