"""The demo network is big enough to look at, realistic, and idempotent."""

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organization, User
from marketplace.models import Carrier, Machine, Material, Process, WeeklyAvailability, Workshop

pytestmark = pytest.mark.django_db

REQUIRED_PROCESSES = {
    "fdm",
    "sla",
    "sls",
    "mjf",
    "cnc-3axis",
    "cnc-5axis",
    "cnc-turning",
    "laser-cutting",
    "sheet-bending",
    "anodizing",
    "powder-coating",
    "bead-blasting",
    "cmm-inspection",
    "assembly",
}


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Organization,
            Membership,
            Workshop,
            Machine,
            Material,
            Process,
            Carrier,
            WeeklyAvailability,
        )
    }


def test_seed_demo_builds_a_network_worth_looking_at(capsys):
    call_command("seed_demo")
    assert Workshop.objects.count() >= 25
    assert Workshop.objects.values("country").distinct().count() >= 6
    assert Machine.objects.count() >= 80
    assert (
        set(Machine.objects.values_list("process__code", flat=True).distinct())
        >= REQUIRED_PROCESSES
    )
    assert Carrier.objects.count() == 3
    aluminium = Material.objects.get(code="al-6061")
    assert float(aluminium.density_g_cm3) == pytest.approx(2.70)
    output = capsys.readouterr().out
    for role in ("customer", "workshop", "logistics", "operator"):
        assert role in output


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first


def test_every_demo_login_can_log_in(client):
    from marketplace.demo import DEMO_LOGINS, DEMO_PASSWORD

    call_command("seed_demo")
    for login in DEMO_LOGINS:
        assert client.login(email=login.email, password=DEMO_PASSWORD), login.email
        assert client.get("/dashboard/").status_code == 200
        client.logout()


def test_every_machine_has_opening_hours_for_the_next_weeks():
    call_command("seed_demo")
    assert not Machine.objects.filter(weekly_hours=None).exists()
