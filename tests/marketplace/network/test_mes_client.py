"""The example MES client (examples/mes_client.py) against a real running site."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken

from marketplace.network.models import CapacityException, Machine, MachineStatusChange
from tests.factories import MachineFactory
from tests.helpers import MONDAY, workshop_of

CLIENT = Path(settings.BASE_DIR) / "examples" / "mes_client.py"


@pytest.fixture
def shop(live_server, workshop_bob, workshop_charlie, mill):
    workshop = mill.workshop
    _, token = AuthToken.objects.create(workshop_bob)
    other = MachineFactory(workshop=workshop_of(workshop_charlie), name="Charlie's")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CLOUD_FACTORY_URL": live_server.url,
        "CLOUD_FACTORY_TOKEN": token,
        "CLOUD_FACTORY_ORGANIZATION": workshop.organization.slug,
    }
    return {"mill": mill, "other": other, "env": env, "user": workshop_bob}


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLIENT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_client_reports_a_machine_down_and_the_site_records_it(shop):
    mill = shop["mill"]
    result = run(shop["env"], "status", str(mill.pk), "down", "--note", "Spindle alarm 2041")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Machine {mill.pk} (Haas VF-2) is now down.\n"
    mill.refresh_from_db()
    assert (mill.status, mill.status_note) == (Machine.Status.DOWN, "Spindle alarm 2041")
    change = MachineStatusChange.objects.get(machine=mill)
    assert (change.previous_status, change.status, change.changed_by) == (
        "available",
        "down",
        shop["user"],
    )

    until = (MONDAY + timedelta(hours=6)).isoformat()
    result = run(shop["env"], "status", str(mill.pk), "maintenance", "--until", until)
    assert result.returncode == 0, result.stderr
    mill.refresh_from_db()
    assert (mill.status, mill.status_until) == ("maintenance", MONDAY + timedelta(hours=6))
    assert run(shop["env"], "status", str(mill.pk), "up").returncode == 0
    statuses = MachineStatusChange.objects.filter(machine=mill).order_by("pk")
    assert [c.status for c in statuses] == ["down", "maintenance", "available"]


def test_the_client_prints_the_apis_error_and_changes_nothing(shop):
    mill = shop["mill"]
    past = (timezone.now() - timedelta(days=1)).isoformat()
    result = run(shop["env"], "status", str(mill.pk), "maintenance", "--until", past)
    assert result.returncode == 1
    assert result.stderr == "error: 'until' must lie in the future. (invalid_machine)\n"
    mill.refresh_from_db()
    assert mill.status == Machine.Status.AVAILABLE
    assert not MachineStatusChange.objects.exists()


def test_the_client_cannot_touch_another_workshops_machine(shop):
    result = run(shop["env"], "status", str(shop["other"].pk), "down")
    assert result.returncode == 1
    assert result.stderr == "error: No such machine in your workshops. (not_found)\n"
    shop["other"].refresh_from_db()
    assert shop["other"].status == Machine.Status.AVAILABLE


def test_the_client_lists_only_its_own_machines(shop):
    result = run(shop["env"], "machines")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Präzision Stuttgart — 1 machine(s)"
    assert lines[1].split() == [str(shop["mill"].pk), "available", "cnc-3axis", "Haas", "VF-2"]


def test_the_client_closes_a_machine_and_explains_an_overlap(shop):
    mill = shop["mill"]
    start, end = MONDAY.isoformat(), (MONDAY + timedelta(days=2)).isoformat()
    result = run(shop["env"], "close", str(mill.pk), start, end, "--kind", "maintenance")
    assert result.returncode == 0, result.stderr
    closure = CapacityException.objects.get(machine=mill)
    assert (closure.starts_at, closure.kind) == (MONDAY, "maintenance")
    assert result.stdout.startswith(f"Closure {closure.pk}: machine {mill.pk} closed for maint")

    result = run(shop["env"], "close", str(mill.pk), start, end)
    assert result.returncode == 1
    assert "This overlaps the maintenance from" in result.stderr
    assert "(invalid_capacity)" in result.stderr
    assert CapacityException.objects.count() == 1


def test_the_client_shows_field_errors_one_per_line(shop):
    result = run(shop["env"], "close", str(shop["mill"].pk), "next tuesday", "2030-01-01")
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "error: The request has invalid fields. (invalid)",
        "  starts_at: Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
    ]


def test_the_client_shows_free_capacity(shop):
    result = run(shop["env"], "capacity", str(shop["mill"].pk))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"Machine {shop['mill'].pk}, ")
    assert "h open, 0.0 h booked" in first
    assert "  free    " in result.stdout


def test_a_wrong_token_is_reported(shop):
    result = run({**shop["env"], "CLOUD_FACTORY_TOKEN": "nope"}, "machines")
    assert result.returncode == 1
    assert result.stderr == "error: Invalid token. (authentication_failed)\n"


def test_missing_settings_are_reported_before_any_request(shop):
    result = run({"PATH": shop["env"]["PATH"]}, "machines")
    assert result.returncode == 2
    assert "set CLOUD_FACTORY_URL and CLOUD_FACTORY_TOKEN" in result.stderr
