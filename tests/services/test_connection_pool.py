"""On the real PostgreSQL: a burst of requests in one process never opens more than the pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.helpers import require_service

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
PROBE = "cf-pool-probe"

# 24 threads, each a request holding a connection for 0.2 s, in a process whose pool lends 3.
BURST = """
import json, os, threading, time
import psycopg
import django
django.setup()
from django.db import connection

peak, errors, stop = 0, [], threading.Event()

def request():
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_sleep(0.2)")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()  # the end of a request: the connection goes back to the pool

def watch():
    global peak
    with psycopg.connect(os.environ["PROBE_URL"], autocommit=True) as probe:
        while not stop.is_set():
            (count,) = probe.execute(
                "select count(*) from pg_stat_activity where application_name = %s",
                [os.environ["PROBE_NAME"]],
            ).fetchone()
            peak = max(peak, count)
            time.sleep(0.02)

watcher = threading.Thread(target=watch)
watcher.start()
threads = [threading.Thread(target=request) for _ in range(24)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
stop.set()
watcher.join()
print(json.dumps({"peak": peak, "errors": errors}))
"""


def test_a_burst_of_requests_opens_at_most_the_pools_connections():
    url = require_service("PostgreSQL", os.environ.get("DATABASE_URL"), 5432)
    server = urlparse(url)._replace(path="/postgres", query="")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-and-random-xY7#pQ2!vL9@kM4$zR8",
        "ALLOWED_HOSTS": "factory.example.com",
        "DATABASE_URL": urlunparse(server._replace(query=f"application_name={PROBE}")),
        "DB_POOL_MAX_SIZE": "3",
        "PROBE_URL": urlunparse(server),
        "PROBE_NAME": PROBE,
    }
    done = subprocess.run(
        [sys.executable, "-c", BURST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert 1 <= result["peak"] <= 3
