"""The workshop's own pages and the network browser, through Django's test client."""

import io
import re
from datetime import time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.network.models import CapacityException, Machine, Workshop, WorkshopPhoto
from tests.factories import (
    CapacityBookingFactory,
    CapacityExceptionFactory,
    CertificationFactory,
    MachineFactory,
    WorkshopFactory,
)
from tests.helpers import MONDAY, at, workshop_of

pytestmark = pytest.mark.django_db


WEEK = f"{MONDAY:%Y-%m-%d}"


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def bob(client, workshop_bob):
    client.force_login(workshop_bob)
    return client


def machine_form(catalog, **overrides) -> dict:
    data = {
        "name": "Mazak VCN-530C",
        "process": catalog["cnc"].pk,
        "materials": [catalog["alu"].pk],
        "envelope_x_mm": 1050,
        "envelope_y_mm": 530,
        "envelope_z_mm": 510,
        "tolerance_mm": "0.020",
        "hourly_rate": "65.00",
        "setup_cost": "30.00",
        "setup_minutes": 40,
        "throughput": "18.5",
    }
    return {**data, **overrides}


# Profile


def test_the_profile_page_shows_what_the_matcher_is_offered(bob, mill):
    page = text(bob.get(reverse("workshop_profile")))
    assert 'data-testid="offered-hours"' in page
    assert "Haas VF-2 (" in page


def test_an_unverified_workshop_is_told_why_it_gets_no_jobs(bob, workshop_bob, mill):
    Workshop.objects.filter(pk=mill.workshop_id).update(verification_status="pending")
    page = text(bob.get(reverse("workshop_profile")))
    assert "Nothing is offered to the matcher yet." in page
    assert "The workshop is not verified yet, so the matcher offers it no jobs." in page


def test_a_workshop_saves_its_profile(bob, workshop_bob):
    iso = CertificationFactory(code="iso-9001", name="ISO 9001")
    response = bob.post(
        reverse("workshop_profile"),
        {
            "description": "Five-axis specialists",
            "city": "Esslingen",
            "country": "de",
            "latitude": "48.74",
            "longitude": "9.31",
            "min_lead_time_hours": 12,
            "certifications": [iso.pk],
        },
        follow=True,
    )
    assert "Your workshop profile is saved." in messages_of(response)
    workshop = workshop_of(workshop_bob)
    workshop.refresh_from_db()
    assert (workshop.city, workshop.country, workshop.min_lead_time_hours) == (
        "Esslingen",
        "DE",
        12,
    )
    assert list(workshop.certifications.all()) == [iso]


def test_an_invalid_profile_shows_the_errors_and_changes_nothing(bob, workshop_bob):
    response = bob.post(
        reverse("workshop_profile"),
        {"city": "", "country": "D1", "latitude": "95", "longitude": "9", "min_lead_time_hours": 1},
    )
    assert response.status_code == 200
    page = text(response)
    assert "Use the two-letter country code, e.g. DE." in page
    assert "Ensure this value is less than or equal to 90." in page
    workshop = workshop_of(workshop_bob)
    workshop.refresh_from_db()
    assert (workshop.city, workshop.country) == ("Stuttgart", "DE")


def test_a_customer_has_no_workshop_profile_page(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get(reverse("workshop_profile")).status_code == 403


# Photos


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_workshop_uploads_a_photo_that_anyone_can_then_see(bob, workshop_bob, client):
    image = SimpleUploadedFile("floor.png", png_bytes(), content_type="image/png")
    response = bob.post(
        reverse("workshop_photo_add"), {"image": image, "caption": " Shop floor "}, follow=True
    )
    assert "Photo added." in messages_of(response)
    photo = WorkshopPhoto.objects.get()
    assert (photo.workshop, photo.caption) == (workshop_of(workshop_bob), "Shop floor")
    assert reverse("workshop_photo", args=[photo.pk]) in text(response)
    client.logout()
    served = client.get(reverse("workshop_photo", args=[photo.pk]))
    assert b"".join(served.streaming_content) == png_bytes()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(bob):
    fake = SimpleUploadedFile("floor.png", b"%PDF-1.7 not a picture", content_type="image/png")
    response = bob.post(reverse("workshop_photo_add"), {"image": fake}, follow=True)
    [message] = messages_of(response)
    assert message.startswith("Upload a valid image.")
    assert not WorkshopPhoto.objects.exists()


# Machines


def test_a_workshop_adds_a_machine_and_is_sent_to_its_hours(bob, workshop_bob, catalog):
    response = bob.post(reverse("machine_new"), machine_form(catalog))
    machine = Machine.objects.get(name="Mazak VCN-530C")
    assert response.url == reverse("machine_capacity", args=[machine.pk])
    assert machine.workshop == workshop_of(workshop_bob)
    assert (machine.hourly_rate_minor, machine.setup_cost_minor) == (6500, 3000)
    assert list(machine.materials.all()) == [catalog["alu"]]


def test_a_material_the_process_cannot_take_shows_an_error_and_saves_nothing(bob, catalog):
    response = bob.post(
        reverse("machine_new"),
        machine_form(catalog, materials=[catalog["alu"].pk, catalog["resin"].pk]),
    )
    assert response.status_code == 200
    assert (
        "3-axis CNC milling cannot process Tough Resin: choose materials that this process takes."
        in text(response)
    )
    assert 'value="Mazak VCN-530C"' in text(response), "the form keeps what was typed"
    assert not Machine.objects.exists()


def test_an_envelope_of_zero_is_refused_by_the_form(bob, catalog):
    response = bob.post(reverse("machine_new"), machine_form(catalog, envelope_z_mm=0))
    assert "Ensure this value is greater than or equal to 1." in text(response)
    assert not Machine.objects.exists()


def test_a_workshop_cannot_open_another_workshops_machine(client, workshop_charlie, mill):
    client.force_login(workshop_charlie)
    assert client.get(reverse("machine_edit", args=[mill.pk])).status_code == 404
    assert client.get(reverse("machine_capacity", args=[mill.pk])).status_code == 404
    response = client.post(reverse("machine_status", args=[mill.pk]), {"status": "down"})
    assert response.status_code == 404
    mill.refresh_from_db()
    assert mill.status == "available"


# The week calendar


def blocks(page: str, kind: str) -> list[str]:
    return re.findall(rf'class="block block-{kind}"[^>]*>\s*<span>([^<]*)</span>', page)


def test_the_week_calendar_shows_open_closed_and_booked_time(bob, mill):
    CapacityExceptionFactory(
        machine=mill, starts_at=at(2, 0), ends_at=at(3, 0), kind=CapacityException.Kind.HOLIDAY
    )
    CapacityBookingFactory(machine=mill, starts_at=at(0, 8), ends_at=at(0, 10), reference="job-42")
    page = text(bob.get(reverse("machine_capacity", args=[mill.pk]), {"week": WEEK}))
    assert blocks(page, "open") == ["08:00\N{EN DASH}16:00"] * 5
    assert blocks(page, "closed") == ["Holiday"]
    assert blocks(page, "booked") == ["job-42"]
    assert '<strong data-testid="free-hours">30 h free</strong>' in page
    # Monday's booking sits 8 hours down a 24-hour column and is 2 hours tall.
    assert "top: calc(8.0000 / 24 * 100%); height: calc(2.0000 / 24 * 100%)" in page


def test_the_calendar_moves_week_by_week(bob, mill):
    page = text(bob.get(reverse("machine_capacity", args=[mill.pk]), {"week": WEEK}))
    assert f"?week={MONDAY + timedelta(days=7):%Y-%m-%d}" in page
    assert f"?week={MONDAY - timedelta(days=7):%Y-%m-%d}" in page


def test_a_workshop_edits_the_weekly_hours_in_the_browser(bob, mill):
    data = {"open_5": "on", "start_5": "09:00", "end_5": "13:00"}
    response = bob.post(f"{reverse('machine_capacity', args=[mill.pk])}?week={WEEK}", data)
    assert response.status_code == 302
    assert [(w.weekday, w.start_time, w.end_time) for w in mill.weekly_hours.all()] == [
        (5, time(9), time(13))
    ]
    page = text(bob.get(response.url))
    assert blocks(page, "open") == ["09:00\N{EN DASH}13:00"]


def test_hours_that_end_before_they_start_show_an_error_and_keep_the_old_hours(bob, mill):
    data = {"open_0": "on", "start_0": "17:00", "end_0": "08:00"}
    response = bob.post(reverse("machine_capacity", args=[mill.pk]), data)
    assert response.status_code == 200
    assert "On Monday the opening must start before it ends." in text(response)
    assert mill.weekly_hours.count() == 5


def test_a_workshop_adds_a_closure_and_an_overlapping_one_is_explained(bob, mill):
    url = reverse("capacity_exception_add", args=[mill.pk])
    form = {"starts_at": f"{at(1, 0):%Y-%m-%dT%H:%M}", "ends_at": f"{at(2, 0):%Y-%m-%dT%H:%M}"}
    response = bob.post(url, {**form, "kind": "maintenance"}, follow=True)
    assert "Closure added." in messages_of(response)
    response = bob.post(url, {**form, "kind": "holiday"}, follow=True)
    assert messages_of(response) == [
        f"This overlaps the maintenance from {at(1, 0):%Y-%m-%d %H:%M} to "
        f"{at(2, 0):%Y-%m-%d %H:%M}: change that one instead."
    ]
    assert mill.exceptions.count() == 1


def test_a_workshop_sets_the_status_in_the_browser(bob, workshop_bob, mill):
    response = bob.post(
        reverse("machine_status", args=[mill.pk]),
        {"status": "down", "note": "Coolant leak"},
        follow=True,
    )
    assert "Haas VF-2 is now down." in messages_of(response)
    assert 'data-testid="machine-status">Down</span> — Coolant leak' in text(response)
    assert mill.status_changes.get().changed_by == workshop_bob


# Browsing the network


@pytest.fixture
def network(catalog):
    lyon = WorkshopFactory(organization__name="Lyon Additive", city="Lyon", country="FR")
    MachineFactory(workshop=lyon, process=catalog["cnc"], name="Lyon mill")
    WorkshopFactory(organization__name="Hidden Pending", verification_status="pending")
    return {"lyon": lyon}


def listed(page: str) -> list[str]:
    return re.findall(r'<td><a href="/network/workshops/\d+/">([^<]+)</a></td>', page)


def test_customers_browse_verified_workshops_with_a_map(client, customer_alice, network):
    client.force_login(customer_alice)
    page = text(client.get(reverse("network")))
    assert listed(page) == ["Lyon Additive"]
    assert "Map of 1 workshops" in page
    assert "Hidden Pending" not in page


def test_the_network_page_filters_by_country(client, customer_alice, network, workshop_bob):
    client.force_login(customer_alice)
    assert listed(text(client.get(reverse("network"), {"country": "fr"}))) == ["Lyon Additive"]
    page = text(client.get(reverse("network"), {"country": "it"}))
    assert "No verified workshop matches these filters." in page


def test_an_unverified_workshop_page_is_hidden_from_customers_but_not_operators(
    client, customer_alice, operator_olga, network
):
    pending = Workshop.objects.get(organization__name="Hidden Pending")
    client.force_login(customer_alice)
    assert client.get(reverse("workshop_detail", args=[pending.pk])).status_code == 404
    client.force_login(operator_olga)
    page = text(client.get(reverse("workshop_detail", args=[pending.pk])))
    assert reverse("workshop_verify", args=[pending.pk]) in page


def test_an_operator_verifies_a_workshop_from_its_page(client, operator_olga, network):
    pending = Workshop.objects.get(organization__name="Hidden Pending")
    client.force_login(operator_olga)
    response = client.post(
        reverse("workshop_verify", args=[pending.pk]), {"status": "verified"}, follow=True
    )
    pending.refresh_from_db()
    assert pending.is_verified
    assert "Hidden Pending is now verified." in messages_of(response)


def test_a_workshop_cannot_verify_itself_from_the_page(bob, workshop_bob):
    workshop = workshop_of(workshop_bob)
    Workshop.objects.filter(pk=workshop.pk).update(verification_status="pending")
    response = bob.post(
        reverse("workshop_verify", args=[workshop.pk]), {"status": "verified"}, follow=True
    )
    assert "Only platform operators may do this." in messages_of(response)
    workshop.refresh_from_db()
    assert workshop.verification_status == "pending"


def test_the_network_page_queries_do_not_grow_with_workshops(
    client, customer_alice, network, catalog, django_assert_max_num_queries
):
    client.force_login(customer_alice)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("network"))
    for n in range(10):
        workshop = WorkshopFactory(organization__name=f"Extra {n}")
        workshop.certifications.add(CertificationFactory(code="iso-9001"))
        MachineFactory(workshop=workshop, process=catalog["cnc"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = text(client.get(reverse("network")))
    assert len(listed(page)) == 11


def test_a_workshop_says_how_soon_it_takes_urgent_work_or_that_it_takes_none(bob, workshop_bob):
    form = {
        "city": "Esslingen",
        "country": "DE",
        "latitude": "48.74",
        "longitude": "9.31",
        "min_lead_time_hours": 24,
    }
    workshop = workshop_of(workshop_bob)
    bob.post(reverse("workshop_profile"), {**form, "urgent_lead_time_hours": 4}, follow=True)
    workshop.refresh_from_db()
    assert workshop.urgent_lead_time_hours == 4
    bob.post(reverse("workshop_profile"), {**form, "urgent_lead_time_hours": ""}, follow=True)
    workshop.refresh_from_db()
    assert workshop.urgent_lead_time_hours is None
    response = bob.post(reverse("workshop_profile"), {**form, "urgent_lead_time_hours": -1})
    assert "greater than or equal to 0" in response.content.decode()
