"""Production holds its connections: a pool per process and a bound on requests inside Django."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-production-secret-that-is-long-enough-and-random-xY7#pQ2!vL9@kM4$zR8",
    "DATABASE_URL": "postgres://cloudfactory@127.0.0.1:5432/cloudfactory",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "factory.example.com",
}
READ_SETTINGS = (
    "import json, os\n"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
    "from django.conf import settings as s\n"
    "db = s.DATABASES['default']\n"
    "print(json.dumps({'pool': db.get('OPTIONS', {}).get('pool'), 'age': db['CONN_MAX_AGE'],"
    " 'http': s.HTTP_MAX_CONCURRENCY}))\n"
)


def settings_with(**env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DB_", "DATABASE_", "DJANGO_", "HTTP_", "CONN_", "REDIS_"))
    }
    done = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_on_postgresql_pools_connections_with_a_max_size():
    read = settings_with(**PRODUCTION_ENV)
    assert read["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0, "max_idle": 300}
    assert read["age"] == 0  # Django refuses persistent connections beside a pool
    assert read["http"] == 8  # no more requests inside Django than connections to lend


def test_the_pool_and_the_request_bound_follow_the_environment():
    read = settings_with(**PRODUCTION_ENV, DB_POOL_MAX_SIZE="4", DB_POOL_TIMEOUT="2.5")
    assert read["pool"]["max_size"] == 4
    assert read["pool"]["timeout"] == 2.5
    assert read["http"] == 4
    assert (
        settings_with(**PRODUCTION_ENV, DB_POOL_MAX_SIZE="4", HTTP_MAX_CONCURRENCY="3")["http"] == 3
    )


def test_behind_pgbouncer_the_pool_is_switched_off():
    read = settings_with(**PRODUCTION_ENV, DB_POOL="false", CONN_MAX_AGE="0")
    assert read["pool"] is None


def test_the_embedded_default_has_no_pool():
    assert settings_with()["pool"] is None
