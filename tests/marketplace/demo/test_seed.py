"""The demo network is big enough to look at, realistic, idempotent, and has orders in every state.

Seeding walks real orders through the services, so it is done once for the module.
"""

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organization, User
from marketplace.demo.seed import DEMO_LOGINS, DEMO_PASSWORD
from marketplace.designs.models import DesignRevision
from marketplace.network.models import (
    Carrier,
    Machine,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
)
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import Order

REQUIRED_PROCESSES = {
    "fdm", "sla", "sls", "mjf", "cnc-3axis", "cnc-5axis", "cnc-turning", "laser-cutting",
    "sheet-bending", "anodizing", "powder-coating", "bead-blasting", "cmm-inspection", "assembly",
}  # fmt: skip


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        call_command("flush", "--no-input", verbosity=0)


def _counts() -> dict:
    models = (User, Organization, Membership, Workshop, Machine, Material, Process, Carrier,
              WeeklyAvailability, Order, DesignRevision)  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_the_demo_network_is_worth_looking_at(seeded):
    assert Workshop.objects.count() >= 25
    assert Workshop.objects.values("country").distinct().count() >= 6
    assert Machine.objects.count() >= 80
    assert (
        set(Machine.objects.values_list("process__code", flat=True).distinct())
        >= REQUIRED_PROCESSES
    )
    assert Carrier.objects.count() == 3
    assert float(Material.objects.get(code="al-6061").density_g_cm3) == pytest.approx(2.70)
    assert not Machine.objects.filter(weekly_hours=None).exists()


@pytest.mark.django_db
def test_the_demo_has_analysed_sample_designs_and_orders_in_every_state(seeded):
    assert DesignRevision.objects.filter(status="analysed").count() >= 4
    states = set(Order.objects.values_list("status", flat=True))
    assert {s.value for s in OrderStatus} - states <= {"expired"}


@pytest.mark.django_db
def test_seeding_again_changes_nothing(seeded):
    first = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == first


@pytest.mark.django_db
def test_every_demo_login_reaches_its_dashboard(seeded, client):
    for login in DEMO_LOGINS:
        assert client.login(email=login.email, password=DEMO_PASSWORD), login.email
        assert client.get("/dashboard/").status_code == 200
        client.logout()


@pytest.mark.django_db
def test_the_seed_command_prints_one_login_per_role(seeded, capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    for role in ("customer", "workshop", "logistics", "operator"):
        assert role in output


@pytest.mark.django_db
def test_the_demo_carrier_login_lands_on_a_carrier_with_legs(seeded, client):
    """Before: every leg went to a carrier nobody could log in as."""
    from marketplace.orders.models import Shipment

    carrier_login = next(login for login in DEMO_LOGINS if login.role == "logistics")
    assert client.login(email=carrier_login.email, password=DEMO_PASSWORD)
    page = client.get("/dashboard/").content.decode()
    assert "No shipments to move yet" not in page
    user = User.objects.get(email=carrier_login.email)
    assert Shipment.objects.filter(carrier__organization__memberships__user=user).exists()
