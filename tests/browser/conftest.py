"""End-to-end fixtures: the real site in its own process, driven by Debian's Chromium.

The site runs as `manage.py runserver` (daphne: HTTP and websockets, eager Celery, in-memory
channel layer — the embedded default) on the test database, which is a file for SQLite and a
real database on PostgreSQL, so that what a test writes the server sees.
"""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from tests.browser.helpers import ARTIFACTS
from tests.helpers import EINDHOVEN, IN_CI, quote_bracket_and_gear, require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _start(command: list[str], env: dict, log_name: str, port: int | None = None):
    log = open(ARTIFACTS / log_name, "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    if port is not None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        if process.poll() is not None or time.monotonic() >= deadline:
            process.kill()
            pytest.fail(f"{command[2]} did not start; see test-artifacts/browser/{log_name}")
    return process, log


def _stop(process, log) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _site_env(database_url: str, outbox, media, **extra) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "MEDIA_ROOT": str(media),
        "API_THROTTLE_ANON": "10000/min",
        "QUOTE_TIME_LIMIT_S": "1.0",
        "OUTAGE_REPLAN_TIME_LIMIT_S": "1.0",
        "MATCHING_WORKERS": "1",
        "DEBUG": "true",
        **extra,
    }


@pytest.fixture(scope="session")
def live_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The embedded default: one process, eager tasks, in-memory channel layer."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    outbox, media = tmp_path_factory.mktemp("outbox"), tmp_path_factory.mktemp("media")
    env = _site_env(database_url, outbox, media)
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = _start(command, env, "server.log", port)
    yield type("Site", (), {"url": f"http://127.0.0.1:{port}", "outbox": outbox, "media": media})
    _stop(*server)


@pytest.fixture(scope="session")
def live_site_with_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """Production's shape: the web process and a Celery worker meet in Redis (broker and
    channel layer), so events from the worker reach the browser across processes."""
    redis_url = require_service("Redis", os.environ.get("REDIS_URL"), 6379)
    with django_db_blocker.unblock():
        database_url = _database_url()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    outbox, media = tmp_path_factory.mktemp("outbox"), tmp_path_factory.mktemp("media")
    env = _site_env(
        database_url,
        outbox,
        media,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    worker = _start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "default,analysis,matching,billing",
            "--pool",
            "solo",
            "-l",
            "INFO",
        ],
        env,
        "worker.log",
    )
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = _start(command, env, "server-with-worker.log", port)
    yield type("Site", (), {"url": f"http://127.0.0.1:{port}", "outbox": outbox, "media": media})
    _stop(*server)
    _stop(*worker)


@pytest.fixture
def chromium():
    """One browser per test: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break the async tests that follow in the same worker."""
    if not os.path.exists(CHROMIUM):
        message = f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests
    # make between browser steps are still plain synchronous code (Django documents this flag
    # for exactly this case). The live server process does not inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        # Later tests in this worker (and the processes they start) keep Django's guard.
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium, live_site, transactional_db, request):
    context = chromium.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def alices_quote(transactional_db, small_network, customer_alice, operator_olga):
    """A quote of alice's bracket and gear, made before the browser starts: the matcher
    publishes live events, which Playwright's running event loop would refuse. The parts go to
    Eindhoven: across the border, so a business elsewhere in the EU is reverse charged."""
    return quote_bracket_and_gear(customer_alice, ship_to=EINDHOVEN)
