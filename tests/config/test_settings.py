"""Production mode is secure by configuration: `check --deploy` finds nothing to complain about."""

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


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("CELERY_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issue_in_production_mode():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_strong_secret_key():
    for secret in ("", "short"):
        result = _manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": secret})
        assert result.returncode != 0
        assert "SECRET_KEY" in result.stderr


def test_production_mode_reads_services_from_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.SESSION_COOKIE_SECURE)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/0",
        "False",
        "channels_redis.core.RedisChannelLayer",
        "True",
    ]


def test_a_secret_starting_with_a_dollar_sign_is_read_as_it_is(tmp_path):
    """Before: a generated development key starting with "$" was taken for a reference to
    another variable and settings recursed until they crashed."""
    key = "$" + "k" * 60
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env={"SECRET_KEY": key},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(key)


def _cache_location(env: dict[str, str]) -> str:
    code = "from django.conf import settings as s; print(s.CACHES['default']['LOCATION'])"
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_each_parallel_test_worker_clears_a_redis_cache_of_its_own():
    """A worker's cache.clear() between tests once dropped a lock another worker's test held."""
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert _cache_location({**redis, "PYTEST_XDIST_WORKER": "gw0"}) == "redis://127.0.0.1:6379/1"
    assert _cache_location({**redis, "PYTEST_XDIST_WORKER": "gw3"}) == "redis://127.0.0.1:6379/4"
    assert _cache_location({**PRODUCTION_ENV, "PYTEST_XDIST_WORKER": ""}) == (
        "redis://127.0.0.1:6379/0"
    )
