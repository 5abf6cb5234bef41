"""Scale-out of quote solving: one batch of quotes through real Celery workers, 1 then 2 processes.

Run from the repository root: ``python benchmarks/bench_matching_workers.py [--quotes 12]
[--workers 1,2] [--limit 3]``. Needs PostgreSQL (``BENCH_POSTGRES_URL``, default the local
server as ``postgres``) and Redis (``BENCH_REDIS_URL``, default database 13 of the local server),
as the production layout does: workers and the web share the database and the broker.

1. Prepares database ``cf_bench_workers``: migrations, the demo data (``seed_demo``) and the
   simulations' small network (a customer with two analysed designs; its workshops join the
   demo's, so each quote is solved over the whole demo network).
2. For each worker count: starts ``celery -A config worker -Q matching -c K`` (prefork, one
   CP-SAT thread per solve: ``MATCHING_WORKERS=1``), waits until it is ready, then places
   ``--quotes`` quote requests in one transaction, so every task reaches the broker at the same
   moment, and times from that commit until the last request has its options.
3. Prints each batch's wall time, quotes per minute, the speed-up over the first count, and the
   sum of the tasks' own times as the worker logs them (solving s: what the batch would take
   done one after another).

Quotes larger than ``QUOTE_SYNC_MAX_SIZE`` go to the ``matching`` queue; the benchmark sets it to
0 so every quote does. Each solve is bounded by ``--limit`` seconds (``QUOTE_TIME_LIMIT_S``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "cf_bench_workers"

SUBMIT = """
import json, random, time
import django
django.setup()
from django.db import transaction
from marketplace.demo.simulated_network import MUNICH, network_build
from marketplace.orders import quotes
network = network_build()
rng = random.Random({seed})
ids = []
with transaction.atomic():  # every task is sent on commit, at once
    for _ in range({count}):
        lines = [
            quotes.LineSpec(revision=revision, material=network.material,
                            finish=network.finish, quantity=rng.randint(1, 12))
            for revision in network.revisions
        ]
        request = quotes.quote_request_create(
            user=network.customer, organization=network.customer_org, lines=lines, ship_to=MUNICH
        )
        ids.append(request.pk)
print(json.dumps({{"ids": ids, "sent_at": time.time()}}))
"""


def bench_env(database_url: str, redis_url: str, limit: float) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "QUOTE_SYNC_MAX_SIZE": "0",
        "QUOTE_TIME_LIMIT_S": str(limit),
        "MATCHING_WORKERS": "1",
        "DESIGN_ANALYSIS_PREWARM": "false",
        "LOG_LEVEL": "WARNING",
    }


def prepare(server_url: str, env: dict[str, str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{DATABASE}" with (force)')
        admin.execute(f'create database "{DATABASE}"')
    # The demo is seeded with eager tasks (its designs are analysed in-process).
    eager = {**env, "CELERY_TASK_ALWAYS_EAGER": "true", "QUOTE_SYNC_MAX_SIZE": "60"}
    for command in (["migrate", "--no-input"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=eager, check=True
        )
    code = (
        "import django; django.setup()\n"
        "from marketplace.demo.simulated_network import network_build\n"
        "network_build()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=eager, check=True)


SUCCEEDED = re.compile(r"succeeded in ([0-9.]+)s")


def start_worker(
    processes: int, env: dict[str, str], task_seconds: list[float]
) -> subprocess.Popen:
    """A worker of the matching queue, returned once it logs that it is ready; the time of each
    task it finishes is appended to ``task_seconds``."""
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "matching",
            "-c", str(processes), "-P", "prefork", "-n", f"bench{processes}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    ready = threading.Event()

    def follow() -> None:
        for line in worker.stderr:
            if " ready." in line:
                ready.set()
            if found := SUCCEEDED.search(line):
                task_seconds.append(float(found.group(1)))

    threading.Thread(target=follow, daemon=True).start()
    if not ready.wait(120):
        worker.kill()
        raise SystemExit(f"the {processes}-process worker did not start within 120 s")
    return worker


def batch(count: int, seed: int, env: dict[str, str], database_url: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SUBMIT.format(count=count, seed=seed)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    sent = json.loads(done.stdout.strip().splitlines()[-1])
    with psycopg.connect(database_url, autocommit=True) as probe:
        while True:
            rows = probe.execute(
                "select status from marketplace_quoterequest where id = any(%s)", [sent["ids"]]
            ).fetchall()
            statuses = [status for (status,) in rows]
            if "solving" not in statuses:
                break
            time.sleep(0.1)
    seconds = time.time() - sent["sent_at"]
    return {
        "seconds": seconds,
        "ready": statuses.count("ready"),
        "other": len(statuses) - statuses.count("ready"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=12)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--limit", type=float, default=3.0, help="seconds per solve")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    database_url = urlunparse(urlparse(server_url)._replace(path=f"/{DATABASE}"))
    env = bench_env(database_url, redis_url, args.limit)
    print(f"preparing {DATABASE} (migrations, demo data, simulated network)...", flush=True)
    prepare(server_url, env)

    counts = [int(c) for c in args.workers.split(",")]
    results = {}
    for seed, processes in enumerate(counts):
        task_seconds: list[float] = []
        worker = start_worker(processes, env, task_seconds)
        try:
            batch(2, 1000 + seed, env, database_url)  # imports and caches of each pool process
            time.sleep(1)  # the warm-up's log lines are read
            del task_seconds[:]
            results[processes] = batch(args.quotes, seed, env, database_url)
            time.sleep(1)
            results[processes]["task_seconds"] = sum(task_seconds)
        finally:
            worker.terminate()
            worker.wait(60)

    load = os.getloadavg()[0]
    print(f"\n{args.quotes} quotes per batch, {args.limit:g} s per solve, load {load:.1f}")
    header = ("workers", "batch s", "quotes/min", "speed-up", "ready", "other", "solving s")
    print(" ".join(f"{name:>10}" for name in header))
    first = results[counts[0]]["seconds"]
    for processes, result in results.items():
        seconds = result["seconds"]
        row = (
            processes,
            f"{seconds:.1f}",
            f"{60 * args.quotes / seconds:.1f}",
            f"{first / seconds:.2f}x",
            result["ready"],
            result["other"],
            f"{result['task_seconds']:.1f}",
        )
        print(" ".join(f"{value:>10}" for value in row))


if __name__ == "__main__":
    main()
