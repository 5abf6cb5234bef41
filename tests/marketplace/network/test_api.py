"""The network API for every persona: catalog, workshops, machines, capacity and closures."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from marketplace.network.models import (
    CapacityException,
    Certification,
    Machine,
    MachineStatusChange,
    Material,
    Process,
)
from tests.factories import (
    CapacityBookingFactory,
    CapacityExceptionFactory,
    CertificationFactory,
    FinishFactory,
    MachineFactory,
    WeeklyAvailabilityFactory,
    WorkshopFactory,
)
from tests.helpers import MONDAY, api_client_for, at, error_of, ids, workshop_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def world(workshop_bob, workshop_charlie, catalog):
    """Bob's and Charlie's machines, a pending workshop's machine, and the catalog they use."""
    cnc, alu = catalog["cnc"], catalog["alu"]
    FinishFactory(code="anodizing", name="Anodizing", process=cnc, materials=[alu])
    CertificationFactory(code="iso-9001", name="ISO 9001")
    bob_shop = workshop_of(workshop_bob)
    bob_shop.timezone = "UTC"  # so that the hours below read as UTC
    bob_shop.save(update_fields=["timezone"])
    bob_mill = MachineFactory(workshop=bob_shop, name="Bob's mill", process=cnc, open_on=range(5))
    bob_mill.materials.add(alu)
    closure = CapacityExceptionFactory(
        machine=bob_mill, starts_at=at(2, 0), ends_at=at(3, 0), kind="maintenance"
    )
    booking = CapacityBookingFactory(
        machine=bob_mill, starts_at=at(0, 8), ends_at=at(0, 10), reference="job-42"
    )
    charlie_mill = MachineFactory(workshop=workshop_of(workshop_charlie), name="Charlie's mill")
    charlie_closure = CapacityExceptionFactory(machine=charlie_mill, starts_at=at(1, 0))
    pending = WorkshopFactory(organization__name="Pending Works", verification_status="pending")
    pending_machine = MachineFactory(workshop=pending, name="Pending lathe")
    return {
        "bob_mill": bob_mill,
        "charlie_mill": charlie_mill,
        "pending": pending,
        "pending_machine": pending_machine,
        "closure": closure,
        "charlie_closure": charlie_closure,
        "booking": booking,
    }


def machine_body(**overrides) -> dict:
    body = {
        "name": "Mazak VCN-530C",
        "process": "cnc-3axis",
        "materials": ["alu-6061"],
        "envelope_x_mm": 1050,
        "envelope_y_mm": 530,
        "envelope_z_mm": 510,
        "tolerance_mm": "0.020",
        "hourly_rate_minor": 6500,
        "setup_cost_minor": 3000,
        "setup_minutes": 40,
        "throughput": "18.5",
    }
    return {**body, **overrides}


def _anonymous_requests(world) -> list[tuple[str, str]]:
    bob_mill = world["bob_mill"].pk
    return [
        ("get", f"{API}/processes/"),
        ("get", f"{API}/processes/cnc-3axis/"),
        ("get", f"{API}/materials/"),
        ("get", f"{API}/finishes/"),
        ("get", f"{API}/certifications/"),
        ("post", f"{API}/processes/"),
        ("get", f"{API}/workshops/"),
        ("get", f"{API}/workshops/{world['pending'].pk}/"),
        ("get", f"{API}/workshops/mine/"),
        ("post", f"{API}/workshops/"),
        ("post", f"{API}/workshops/{world['pending'].pk}/verify/"),
        ("get", f"{API}/machines/"),
        ("get", f"{API}/machines/{bob_mill}/"),
        ("post", f"{API}/machines/"),
        ("patch", f"{API}/machines/{bob_mill}/"),
        ("delete", f"{API}/machines/{bob_mill}/"),
        ("post", f"{API}/machines/{bob_mill}/status/"),
        ("get", f"{API}/machines/{bob_mill}/status-history/"),
        ("put", f"{API}/machines/{bob_mill}/weekly-hours/"),
        ("get", f"{API}/capacity/?machine={bob_mill}"),
        ("get", f"{API}/capacity/closures/"),
        ("post", f"{API}/capacity/closures/"),
        ("delete", f"{API}/capacity/closures/{world['closure'].pk}/"),
    ]


WRITES_WITHOUT_ACCOUNT = 9  # the non-GET requests above


def test_anonymous_callers_can_change_nothing(world):
    client = APIClient()
    for method, url in _anonymous_requests(world):
        if method == "get":
            continue
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, (method, url)
        assert error_of(response)["code"] == "not_authenticated"
    assert Machine.objects.count() == 3
    assert CapacityException.objects.count() == 2


def test_anonymous_callers_read_nothing_but_the_catalog(world):
    client = APIClient()
    for method, url in _anonymous_requests(world):
        if method != "get" or url.startswith(
            (f"{API}/processes/", f"{API}/materials/", f"{API}/finishes/", f"{API}/certif")
        ):
            continue
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", ["processes", "materials", "finishes", "certifications"])
def test_anonymous_callers_cannot_read_the_catalog(world, path):
    assert APIClient().get(f"{API}/{path}/").status_code == 401


# Catalog


@pytest.mark.parametrize("persona", ["customer_alice", "workshop_bob", "operator_olga"])
def test_everyone_signed_in_reads_the_catalog(world, request, persona):
    client = api_client_for(request.getfixturevalue(persona))
    processes = client.get(f"{API}/processes/").json()["results"]
    assert [p["code"] for p in processes] == ["sla", "cnc-3axis"]
    materials = client.get(f"{API}/materials/?processes__code=sla").json()["results"]
    assert [(m["code"], m["processes"]) for m in materials] == [("tough-resin", ["sla"])]
    finishes = client.get(f"{API}/finishes/").json()["results"]
    assert finishes[0]["materials"] == ["alu-6061"]
    assert client.get(f"{API}/certifications/").json()["results"][0]["code"] == "iso-9001"


@pytest.mark.parametrize("persona", ["customer_alice", "workshop_bob"])
def test_only_operators_change_the_catalog(world, request, persona):
    client = api_client_for(request.getfixturevalue(persona))
    response = client.post(f"{API}/certifications/", {"code": "as9100", "name": "AS9100"})
    assert response.status_code == 403
    assert error_of(response)["message"] == "Only platform operators may change the catalog."
    response = client.patch(f"{API}/processes/cnc-3axis/", {"name": "Hacked"}, format="json")
    assert response.status_code == 403
    response = client.delete(f"{API}/materials/alu-6061/")
    assert response.status_code == 403
    assert Process.objects.get(code="cnc-3axis").name == "3-axis CNC milling"
    assert Material.objects.filter(code="alu-6061").exists()
    assert not Certification.objects.filter(code="as9100").exists()


def test_an_operator_maintains_the_catalog(world, operator_olga):
    client = api_client_for(operator_olga)
    response = client.post(
        f"{API}/processes/",
        {
            "code": "wire-edm",
            "name": "Wire EDM",
            "family": "subtractive",
            "rate_unit": "mm_per_min",
            "typical_tolerance_mm": "0.005",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = client.post(
        f"{API}/materials/",
        {
            "code": "tool-steel",
            "name": "Tool steel",
            "family": "steel",
            "density_g_cm3": "7.800",
            "price_per_kg_minor": 1200,
            "processes": ["wire-edm", "cnc-3axis"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert set(
        Material.objects.get(code="tool-steel").processes.values_list("code", flat=True)
    ) == {
        "wire-edm",
        "cnc-3axis",
    }
    response = client.post(
        f"{API}/finishes/",
        {"code": "black-oxide", "name": "Black oxide", "process": "wire-edm", "materials": []},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = client.patch(f"{API}/certifications/iso-9001/", {"name": "ISO 9001:2015"})
    assert response.status_code == 200
    assert Certification.objects.get(code="iso-9001").name == "ISO 9001:2015"


def test_a_material_naming_an_unknown_process_is_refused_field_by_field(world, operator_olga):
    response = api_client_for(operator_olga).post(
        f"{API}/materials/",
        {
            "code": "mystery",
            "name": "Mystery",
            "family": "steel",
            "density_g_cm3": "0",
            "price_per_kg_minor": 1,
            "processes": ["teleportation"],
        },
        format="json",
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"processes", "density_g_cm3"}
    assert not Material.objects.filter(code="mystery").exists()


# Workshops


def test_a_customer_lists_only_verified_workshops(world, customer_alice):
    client = api_client_for(customer_alice)
    response = client.get(f"{API}/workshops/")
    names = {row["name"] for row in response.json()["results"]}
    assert names == {"Präzision Stuttgart", "Eindhoven Precision"}
    assert client.get(f"{API}/workshops/{world['pending'].pk}/").status_code == 404


def test_the_workshop_list_takes_the_network_filters(world, customer_alice):
    client = api_client_for(customer_alice)
    response = client.get(f"{API}/workshops/", {"country": "nl"})
    assert [row["name"] for row in response.json()["results"]] == ["Eindhoven Precision"]
    response = client.get(f"{API}/workshops/", {"material": "alu-6061"})
    assert [row["name"] for row in response.json()["results"]] == ["Präzision Stuttgart"]
    response = client.get(f"{API}/workshops/", {"x": 501})
    assert response.json()["results"] == []


def test_a_customer_cannot_write_a_workshop_profile(world, customer_alice):
    response = api_client_for(customer_alice).post(
        f"{API}/workshops/", {"city": "Ulm", "country": "DE", "latitude": 48, "longitude": 10}
    )
    assert response.status_code == 403
    assert error_of(response)["message"] == "Switch to a workshop organization to do this."


def test_a_workshop_edits_its_own_profile_but_not_its_verification(world, workshop_bob):
    client = api_client_for(workshop_bob)
    response = client.patch(
        f"{API}/workshops/mine/",
        {"city": "Esslingen", "certifications": ["iso-9001"], "verification_status": "verified"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    workshop = workshop_of(workshop_bob)
    workshop.refresh_from_db()
    assert workshop.city == "Esslingen"
    assert list(workshop.certifications.values_list("code", flat=True)) == ["iso-9001"]
    assert client.get(f"{API}/workshops/mine/").json()["city"] == "Esslingen"


def test_a_pending_workshop_cannot_verify_itself(world):
    owner = world["pending"].organization
    from tests.factories import MembershipFactory

    user = MembershipFactory(organization=owner).user
    client = api_client_for(user)
    assert client.get(f"{API}/workshops/{world['pending'].pk}/").status_code == 200
    response = client.post(f"{API}/workshops/{world['pending'].pk}/verify/", {"status": "verified"})
    assert response.status_code == 403
    assert error_of(response)["message"] == "Only platform operators may do this."
    world["pending"].refresh_from_db()
    assert world["pending"].verification_status == "pending"


def test_an_operator_verifies_and_suspends_workshops(world, operator_olga, customer_alice):
    client = api_client_for(operator_olga)
    pending = world["pending"]
    assert client.get(f"{API}/workshops/{pending.pk}/").status_code == 200
    response = client.post(f"{API}/workshops/{pending.pk}/verify/", {"status": "verified"})
    assert response.status_code == 200
    assert response.json()["verification_status"] == "verified"
    assert api_client_for(customer_alice).get(f"{API}/workshops/{pending.pk}/").status_code == 200

    response = client.post(f"{API}/workshops/{pending.pk}/verify/", {"status": "suspended"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "note_required"
    response = client.post(
        f"{API}/workshops/{pending.pk}/verify/", {"status": "suspended", "note": "Fake address"}
    )
    assert response.json()["verification_note"] == "Fake address"
    assert api_client_for(customer_alice).get(f"{API}/workshops/{pending.pk}/").status_code == 404


# Machines


def test_a_customer_sees_machines_of_verified_workshops_only_and_changes_none(
    world, customer_alice
):
    client = api_client_for(customer_alice)
    assert ids(client.get(f"{API}/machines/")) == {
        world["bob_mill"].pk,
        world["charlie_mill"].pk,
    }
    assert client.get(f"{API}/machines/{world['pending_machine'].pk}/").status_code == 404
    response = client.post(f"{API}/machines/", machine_body(), format="json")
    assert response.status_code == 403
    response = client.patch(f"{API}/machines/{world['bob_mill'].pk}/", {"name": "x"})
    assert response.status_code == 404
    assert client.delete(f"{API}/machines/{world['bob_mill'].pk}/").status_code == 404
    response = client.post(f"{API}/machines/{world['bob_mill'].pk}/status/", {"status": "down"})
    assert response.status_code == 404
    world["bob_mill"].refresh_from_db()
    assert (world["bob_mill"].name, world["bob_mill"].status) == ("Bob's mill", "available")


def test_an_operator_sees_every_machine(world, operator_olga):
    assert ids(api_client_for(operator_olga).get(f"{API}/machines/")) == {
        world["bob_mill"].pk,
        world["charlie_mill"].pk,
        world["pending_machine"].pk,
    }


def test_a_workshop_lists_its_own_machines_with_the_workshop_filter(world, workshop_bob):
    client = api_client_for(workshop_bob)
    response = client.get(f"{API}/machines/", {"workshop": workshop_of(workshop_bob).pk})
    [row] = response.json()["results"]
    assert row["name"] == "Bob's mill"
    assert row["materials"] == ["alu-6061"]
    assert row["weekly_hours"][0] == {
        "weekday": 0,
        "start_time": "08:00:00",
        "end_time": "16:00:00",
    }


def test_a_workshop_adds_a_machine_to_its_own_workshop(world, workshop_bob):
    response = api_client_for(workshop_bob).post(f"{API}/machines/", machine_body(), format="json")
    assert response.status_code == 201, response.json()
    machine = Machine.objects.get(pk=response.json()["id"])
    assert machine.workshop == workshop_of(workshop_bob)
    assert machine.envelope_mm == (1050, 530, 510)


def test_a_workshop_changes_its_own_machine(world, workshop_bob):
    mill = world["bob_mill"]
    response = api_client_for(workshop_bob).put(
        f"{API}/machines/{mill.pk}/", machine_body(name="Renamed"), format="json"
    )
    assert response.status_code == 200, response.json()
    mill.refresh_from_db()
    assert (mill.name, mill.hourly_rate_minor) == ("Renamed", 6500)


def test_a_partial_update_changes_only_the_fields_sent(world, workshop_bob):
    mill = world["bob_mill"]
    response = api_client_for(workshop_bob).patch(
        f"{API}/machines/{mill.pk}/", {"hourly_rate_minor": 7000}, format="json"
    )
    assert response.status_code == 200
    mill.refresh_from_db()
    assert (mill.name, mill.hourly_rate_minor, str(mill.tolerance_mm)) == (
        "Bob's mill",
        7000,
        "0.050",
    )


def test_a_workshop_gets_404_when_writing_to_another_workshops_machine(world, workshop_charlie):
    client = api_client_for(workshop_charlie)
    mill = world["bob_mill"].pk
    assert client.get(f"{API}/machines/{mill}/").status_code == 200  # verified: readable
    for method, url, body in [
        ("put", f"{API}/machines/{mill}/", machine_body(name="Mine now")),
        ("patch", f"{API}/machines/{mill}/", {"name": "Mine now"}),
        ("delete", f"{API}/machines/{mill}/", None),
        ("post", f"{API}/machines/{mill}/status/", {"status": "down"}),
        ("get", f"{API}/machines/{mill}/status-history/", None),
        ("put", f"{API}/machines/{mill}/weekly-hours/", {"slots": []}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
        assert error_of(response) == {
            "code": "not_found",
            "message": "No such machine in your workshops.",
        }
    world["bob_mill"].refresh_from_db()
    assert (world["bob_mill"].name, world["bob_mill"].status) == ("Bob's mill", "available")
    assert world["bob_mill"].weekly_hours.count() == 5


@pytest.mark.parametrize("size", [0, -5])
def test_an_envelope_of_zero_or_negative_size_is_refused_by_the_api(world, workshop_bob, size):
    response = api_client_for(workshop_bob).post(
        f"{API}/machines/", machine_body(envelope_y_mm=size), format="json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "envelope_y_mm": ["Ensure this value is greater than or equal to 1."]
    }
    assert Machine.objects.count() == 3


def test_a_material_the_process_cannot_take_is_refused_by_the_api(world, workshop_bob):
    response = api_client_for(workshop_bob).post(
        f"{API}/machines/", machine_body(materials=["alu-6061", "tough-resin"]), format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid_machine",
        "message": "3-axis CNC milling cannot process Tough Resin: "
        "choose materials that this process takes.",
    }
    assert not Machine.objects.filter(name="Mazak VCN-530C").exists()


def test_a_workshop_removes_its_own_idle_machine(world, workshop_bob):
    idle = MachineFactory(workshop=workshop_of(workshop_bob))
    client = api_client_for(workshop_bob)
    assert client.delete(f"{API}/machines/{idle.pk}/").status_code == 204
    assert not Machine.objects.filter(pk=idle.pk).exists()
    response = client.delete(f"{API}/machines/{world['bob_mill'].pk}/")
    assert response.status_code == 400
    assert "booked jobs ahead" in error_of(response)["message"]


# Status pushes


def test_a_workshop_pushes_maintenance_until_a_time_and_the_history_records_it(world, workshop_bob):
    client = api_client_for(workshop_bob)
    mill = world["bob_mill"]
    response = client.post(
        f"{API}/machines/{mill.pk}/status/",
        {"status": "maintenance", "until": iso(at(1, 0)), "note": "Spindle bearings"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "maintenance"
    mill.refresh_from_db()
    assert (mill.status, mill.status_until, mill.status_note) == (
        "maintenance",
        at(1, 0),
        "Spindle bearings",
    )
    client.post(f"{API}/machines/{mill.pk}/status/", {"status": "available"}, format="json")
    history = client.get(f"{API}/machines/{mill.pk}/status-history/").json()["results"]
    assert [(h["previous_status"], h["status"]) for h in history] == [
        ("maintenance", "available"),
        ("available", "maintenance"),
    ]
    assert history[1]["until"] == iso(at(1, 0))
    assert MachineStatusChange.objects.get(status="maintenance").changed_by == workshop_bob


def test_a_status_push_with_until_in_the_past_is_refused(world, workshop_bob):
    past = timezone.now() - timedelta(hours=1)
    response = api_client_for(workshop_bob).post(
        f"{API}/machines/{world['bob_mill'].pk}/status/",
        {"status": "down", "until": iso(past)},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid_machine",
        "message": "'until' must lie in the future.",
    }
    world["bob_mill"].refresh_from_db()
    assert world["bob_mill"].status == "available"
    assert not MachineStatusChange.objects.exists()


def test_an_unknown_status_is_refused_naming_the_choices(world, workshop_bob):
    response = api_client_for(workshop_bob).post(
        f"{API}/machines/{world['bob_mill'].pk}/status/", {"status": "up"}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"status": ['"up" is not a valid choice.']}


# Weekly hours


def test_a_workshop_replaces_the_weekly_hours(world, workshop_bob):
    response = api_client_for(workshop_bob).put(
        f"{API}/machines/{world['bob_mill'].pk}/weekly-hours/",
        {"slots": [{"weekday": 5, "start_time": "09:00", "end_time": "13:00"}], "force": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == [{"weekday": 5, "start_time": "09:00:00", "end_time": "13:00:00"}]


def test_weekly_hours_leaving_a_booking_outside_are_refused_naming_it(world, workshop_bob):
    response = api_client_for(workshop_bob).put(
        f"{API}/machines/{world['bob_mill'].pk}/weekly-hours/",
        {"slots": [{"weekday": 5, "start_time": "09:00", "end_time": "13:00"}]},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bookings_covered"
    assert "job-42" in error_of(response)["message"]
    assert world["bob_mill"].weekly_hours.filter(weekday=0).exists()


@pytest.mark.parametrize(
    ("slots", "message"),
    [
        (
            [{"weekday": 0, "start_time": "16:00", "end_time": "08:00"}],
            "On Monday the opening must start before it ends.",
        ),
        (
            [
                {"weekday": 4, "start_time": "08:00", "end_time": "12:00"},
                {"weekday": 4, "start_time": "11:30", "end_time": "18:00"},
            ],
            "Two openings on Friday overlap.",
        ),
    ],
)
def test_impossible_weekly_hours_are_refused_and_the_old_ones_kept(
    world, workshop_bob, slots, message
):
    response = api_client_for(workshop_bob).put(
        f"{API}/machines/{world['bob_mill'].pk}/weekly-hours/", {"slots": slots}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {"code": "invalid_capacity", "message": message}
    assert world["bob_mill"].weekly_hours.count() == 5


# Capacity


def test_the_owner_sees_free_time_closures_and_bookings(world, workshop_bob):
    response = api_client_for(workshop_bob).get(
        f"{API}/capacity/",
        {"machine": world["bob_mill"].pk, "start": iso(MONDAY), "end": iso(at(7, 0))},
    )
    body = response.json()
    assert (body["open_hours"], body["booked_hours"], body["free_hours"]) == (40.0, 2.0, 30.0)
    assert body["free"][0] == {"starts_at": iso(at(0, 10)), "ends_at": iso(at(0, 16))}
    assert [c["kind"] for c in body["closures"]] == ["maintenance"]
    assert [b["reference"] for b in body["bookings"]] == ["job-42"]


def test_a_customer_sees_only_the_free_time_of_a_verified_workshops_machine(world, customer_alice):
    client = api_client_for(customer_alice)
    body = client.get(
        f"{API}/capacity/",
        {"machine": world["bob_mill"].pk, "start": iso(MONDAY), "end": iso(at(7, 0))},
    ).json()
    assert body["free_hours"] == 30.0
    assert (body["closures"], body["bookings"]) == ([], [])
    response = client.get(f"{API}/capacity/", {"machine": world["pending_machine"].pk})
    assert response.status_code == 404


def test_a_machine_that_is_down_has_no_free_capacity(world, workshop_bob):
    Machine.objects.filter(pk=world["bob_mill"].pk).update(status="down")
    body = (
        api_client_for(workshop_bob)
        .get(f"{API}/capacity/", {"machine": world["bob_mill"].pk})
        .json()
    )
    assert (body["free"], body["free_hours"]) == ([], 0.0)


def test_a_capacity_window_ending_before_it_starts_is_refused(world, workshop_bob):
    response = api_client_for(workshop_bob).get(
        f"{API}/capacity/",
        {"machine": world["bob_mill"].pk, "start": iso(at(1, 0)), "end": iso(at(0, 0))},
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"non_field_errors": ["start must be before end."]}


# Closures


def test_closures_list_only_the_callers_own(world, workshop_bob, customer_alice):
    own = api_client_for(workshop_bob).get(f"{API}/capacity/closures/")
    assert ids(own) == {world["closure"].pk}
    assert api_client_for(customer_alice).get(f"{API}/capacity/closures/").json()["results"] == []


def test_a_workshop_closes_its_machine_for_maintenance(world, workshop_bob):
    response = api_client_for(workshop_bob).post(
        f"{API}/capacity/closures/",
        {
            "machine": world["bob_mill"].pk,
            "starts_at": iso(at(7, 0)),
            "ends_at": iso(at(8, 0)),
            "kind": "maintenance",
            "note": " Annual service ",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["note"] == "Annual service"
    assert world["bob_mill"].exceptions.count() == 2


def test_an_overlapping_closure_is_refused_naming_the_existing_one(world, workshop_bob):
    response = api_client_for(workshop_bob).post(
        f"{API}/capacity/closures/",
        {"machine": world["bob_mill"].pk, "starts_at": iso(at(2, 12)), "ends_at": iso(at(4, 0))},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid_capacity",
        "message": f"This overlaps the maintenance from {at(2, 0):%Y-%m-%d} 00:00 to "
        f"{at(3, 0):%Y-%m-%d} 00:00: change that one instead.",
    }
    assert world["bob_mill"].exceptions.count() == 1


def test_a_closure_ending_before_it_starts_is_refused_by_the_api(world, workshop_bob):
    response = api_client_for(workshop_bob).post(
        f"{API}/capacity/closures/",
        {"machine": world["bob_mill"].pk, "starts_at": iso(at(9, 0)), "ends_at": iso(at(8, 0))},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == "A closure must start before it ends."


def test_a_workshop_cannot_close_or_reopen_another_workshops_machine(world, workshop_bob):
    client = api_client_for(workshop_bob)
    response = client.post(
        f"{API}/capacity/closures/",
        {
            "machine": world["charlie_mill"].pk,
            "starts_at": iso(at(9, 0)),
            "ends_at": iso(at(10, 0)),
        },
        format="json",
    )
    assert response.status_code == 404
    response = client.delete(f"{API}/capacity/closures/{world['charlie_closure'].pk}/")
    assert response.status_code == 404
    assert world["charlie_mill"].exceptions.count() == 1


def test_a_workshop_reopens_its_machine_by_removing_a_closure(world, workshop_bob):
    client = api_client_for(workshop_bob)
    assert client.delete(f"{API}/capacity/closures/{world['closure'].pk}/").status_code == 204
    assert not CapacityException.objects.filter(pk=world["closure"].pk).exists()


# Query counts


def _grow(world, workshop_bob, count: int) -> None:
    for n in range(count):
        workshop = WorkshopFactory(organization__name=f"Extra {n}")
        workshop.certifications.add(CertificationFactory(code="iso-9001"))
        machine = MachineFactory(workshop=workshop)
        machine.materials.add(Material.objects.get(code="alu-6061"))
        WeeklyAvailabilityFactory(machine=machine)


@pytest.mark.parametrize("path", ["machines", "workshops"])
def test_list_queries_do_not_grow_with_rows(
    world, workshop_bob, customer_alice, django_assert_max_num_queries, path
):
    client = api_client_for(customer_alice)
    with django_assert_max_num_queries(12) as few:
        client.get(f"{API}/{path}/")
    _grow(world, workshop_bob, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{API}/{path}/")
    assert response.json()["count"] >= 17


# What the schema promises (found by the schema fuzzer, tests/api_fuzz/)


def _published_time_pattern() -> str:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    start_time = schema["components"]["schemas"]["WeeklyAvailability"]["properties"]["start_time"]
    assert "format" not in start_time, "OpenAPI's time format demands an offset"
    return start_time["pattern"]


TIME_PATTERN = _published_time_pattern()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moments=st.lists(st.times(), min_size=2, max_size=2, unique=True).map(sorted))
def test_weekly_hours_are_wall_clock_times_of_the_published_shape(workshop_bob, moments):
    """Before: the schema said RFC 3339 `time` (with an offset), the API answered "08:00:00"."""
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    start, end = moments
    slot = {"weekday": 2, "start_time": start.isoformat(), "end_time": end.isoformat()}
    response = api_client_for(workshop_bob).put(
        f"{API}/machines/{machine.pk}/weekly-hours/", {"slots": [slot]}, format="json"
    )
    assert response.status_code == 200, response.json()
    [answered] = response.json()
    for field, moment in (("start_time", start), ("end_time", end)):
        assert re.fullmatch(TIME_PATTERN, answered[field]), answered[field]
        assert time.fromisoformat(answered[field]) == moment
    read = api_client_for(workshop_bob).get(f"{API}/machines/{machine.pk}/").json()
    assert read["weekly_hours"] == [answered]


def test_the_status_history_is_a_page_newest_first(world, workshop_bob):
    """Before: a bare list of the last 100, while the schema promised a page."""
    mill = world["bob_mill"]
    client = api_client_for(workshop_bob)
    for status in ("down", "maintenance", "available"):
        client.post(f"{API}/machines/{mill.pk}/status/", {"status": status}, format="json")
    first = client.get(f"{API}/machines/{mill.pk}/status-history/", {"page_size": 2}).json()
    assert first["count"] == 3
    assert [h["status"] for h in first["results"]] == ["available", "maintenance"]
    rest = client.get(first["next"]).json()
    assert [h["status"] for h in rest["results"]] == ["down"]


def test_a_patch_before_the_workshop_has_a_profile_asks_for_every_field():
    """Before: PATCH {} of a workshop organization without a profile raised KeyError (500)."""
    from accounts.models import Organization
    from tests.factories import MembershipFactory, OrganizationFactory

    membership = MembershipFactory(
        organization=OrganizationFactory(kind=Organization.Kind.WORKSHOP), role="owner"
    )
    response = api_client_for(membership.user).patch(
        f"{API}/workshops/mine/",
        {},
        format="json",
        HTTP_X_ORGANIZATION=str(membership.organization_id),
    )
    assert response.status_code == 400
    assert {"city", "country"} <= set(error_of(response)["fields"])
