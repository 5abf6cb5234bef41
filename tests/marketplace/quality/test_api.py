"""The quality API and pages: each party's view, another organization's 404/403, uploads
refused with the JSON error body, downloads logged."""

import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from marketplace.quality.models import QualityDownload, QualityRecord
from marketplace.quality.services import quality_file_add, quality_record_save
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, WorkshopFactory
from tests.helpers import api_client_for, error_of

from .conftest import JPEG, PDF, finish, upload

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def stranger():
    """A member of another workshop, on no step of the order."""
    user = UserFactory(email="dora@example.com")
    organization = OrganizationFactory(name="Elsewhere GmbH", kind="workshop")
    MembershipFactory(user=user, organization=organization)
    WorkshopFactory(organization=organization)
    return user


def _record(world):
    return quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome="pass",
        measurements=[{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.01"}],
    )


def test_the_workshop_records_through_the_api_and_pass_out_of_tolerance_is_a_400(world):
    client = api_client_for(world.bob)
    url = f"{API}/jobs/{world.milled.pk}/quality-record/"
    bad = {
        "outcome": "pass",
        "measurements": [{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.2"}],
    }
    response = client.post(url, bad, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "out_of_tolerance"
    good = {**bad, "outcome": "reject", "note": "Scrap"}
    response = client.post(url, good, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["measurements"][0]["within_tolerance"] is False


def test_garbage_record_bodies_are_400_not_500(world):
    client = api_client_for(world.bob)
    url = f"{API}/jobs/{world.milled.pk}/quality-record/"
    for body in (
        {},
        {"outcome": "great"},
        {"outcome": "pass", "measurements": "x"},
        {"outcome": "pass", "measurements": [{"name": "", "nominal_mm": "1e400"}]},
    ):
        assert client.post(url, body, format="json").status_code == 400


def test_uploads_are_checked_and_listed_for_the_customer(world):
    client = api_client_for(world.bob)
    url = f"{API}/jobs/{world.milled.pk}/quality-files/"
    response = client.post(url, {"kind": "photo", "file": upload("x.jpg", PDF)}, format="multipart")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_file"
    response = client.post(
        url, {"kind": "inspection_report", "file": upload("r.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 201
    listing = api_client_for(world.alice).get(f"{API}/orders/{world.order.pk}/quality/").json()
    assert [f["kind"] for f in listing["files"]] == ["inspection_report"]
    assert listing["required_documents"][0]["satisfied"] is True


def test_another_organization_gets_404_everywhere(world, stranger):
    record = _record(world)
    item = quality_file_add(
        user=world.bob, job=world.milled, kind="photo", upload=upload("p.jpg", JPEG)
    )
    client = api_client_for(stranger)
    for url in (
        f"{API}/orders/{world.order.pk}/quality/",
        f"{API}/orders/{world.order.pk}/quality/archive/",
        f"{API}/quality-files/{item.pk}/download/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"{API}/quality-records/{record.pk}/review/", {"accepted": True}, format="json"
        ).status_code
        == 404
    )
    assert (
        client.post(f"{API}/jobs/{world.milled.pk}/quality-record/", {}, format="json").status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/orders/{world.order.pk}/quality/requirements/",
            {"kind": "material_certificate"},
            format="json",
        ).status_code
        == 404
    )
    assert not QualityDownload.objects.exists()
    # On the pages too.
    web = api_client_for(stranger)
    web.force_login(stranger)
    assert web.get(reverse("quality_file_download", args=[item.pk])).status_code == 404
    assert web.get(reverse("quality_archive", args=[world.order.pk])).status_code == 404


def test_a_party_that_may_not_act_gets_403(world):
    record = _record(world)
    finish(world.milled)
    response = api_client_for(world.alice).post(
        f"{API}/quality-records/{record.pk}/review/", {"accepted": True}, format="json"
    )
    assert response.status_code == 403  # the customer reviews once the parts are delivered
    response = api_client_for(world.charlie).post(
        f"{API}/orders/{world.order.pk}/quality/requirements/",
        {"kind": "material_certificate"},
        format="json",
    )
    assert response.status_code == 403


def test_downloads_one_by_one_and_as_zip_are_logged(world):
    item = quality_file_add(
        user=world.bob, job=world.milled, kind="photo", upload=upload("p.jpg", JPEG)
    )
    client = api_client_for(world.alice)
    response = client.get(f"{API}/quality-files/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    response = client.get(f"{API}/orders/{world.order.pk}/quality/archive/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(BytesIO(b"".join(response.streaming_content)))
    assert any(name.endswith("p.jpg") for name in archive.namelist())
    logged = list(QualityDownload.objects.values_list("user__email", "archive"))
    assert sorted(logged) == [("alice@example.com", False), ("alice@example.com", True)]


def test_the_customer_accepts_on_the_order_page_once_delivered(world, client):
    record = _record(world)
    finish(world.milled)
    world.order.status = "delivered"
    world.order.save(update_fields=["status"])
    client.force_login(world.alice)
    page = client.get(reverse("order_detail", args=[world.order.pk]))
    assert b"Accept inspection" in page.content
    client.post(reverse("quality_review", args=[record.pk]), {"decision": "accept"})
    record.refresh_from_db()
    world.milled.refresh_from_db()
    assert (record.review, world.milled.inspection) == (QualityRecord.Review.ACCEPTED, "accepted")


def test_the_job_card_shows_the_form_to_its_workshop_only(world, client):
    client.force_login(world.bob)
    page = client.get(reverse("job_detail", args=[world.milled.pk]))
    assert b'data-testid="quality-record-form"' in page.content
    client.post(
        reverse("quality_record", args=[world.milled.pk]),
        {"name_0": "Bore", "nominal_0": "10", "measured_0": "10.2", "outcome": "pass"},
    )
    assert not QualityRecord.objects.exists()  # out of tolerance: pass refused
    client.force_login(world.alice)
    page = client.get(reverse("job_detail", args=[world.milled.pk]))
    assert b'data-testid="quality-record-form"' not in page.content


def test_the_customer_requires_a_document_before_production(customer_alice, workshop_bob):
    from tests.factories.work import order_in_production

    story = order_in_production(customer_alice, workshop_bob, status="paid")
    client = api_client_for(customer_alice)
    url = f"{API}/orders/{story.order.pk}/quality/requirements/"
    response = client.post(url, {"kind": "material_certificate"}, format="json")
    assert response.status_code == 200
    kinds = {(d["kind"], d["removable"]) for d in response.json()["required_documents"]}
    assert kinds == {("inspection_report", False), ("material_certificate", True)}
    assert client.post(url, {"kind": "nda"}, format="json").status_code == 400
    response = client.post(url, {"kind": "material_certificate", "required": False}, format="json")
    assert [d["kind"] for d in response.json()["required_documents"]] == ["inspection_report"]


@pytest.fixture
def carrier(world):
    """A member of the carrier that moves the order's parts: on the order, not in its quality."""
    from tests.factories import CarrierFactory
    from tests.factories.orders import ShipmentFactory

    user = UserFactory(email="carl@example.com")
    organization = OrganizationFactory(name="Fast Freight", kind="logistics")
    MembershipFactory(user=user, organization=organization)
    ShipmentFactory(order=world.order, carrier=CarrierFactory(organization=organization))
    return user


def test_a_carrier_reads_no_quality_record_nor_file(world, carrier, client):
    record = _record(world)
    item = quality_file_add(
        user=world.bob, job=world.milled, kind="photo", upload=upload("p.jpg", JPEG)
    )
    api = api_client_for(carrier)
    assert api.get(f"{API}/orders/{world.order.pk}/").status_code == 200  # on the order
    for url in (
        f"{API}/orders/{world.order.pk}/quality/",
        f"{API}/orders/{world.order.pk}/quality/archive/",
        f"{API}/quality-files/{item.pk}/download/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["code"] == "not_found"
    finish(world.milled)
    response = api.post(
        f"{API}/quality-records/{record.pk}/review/", {"accepted": True}, format="json"
    )
    assert response.status_code == 404
    client.force_login(carrier)
    page = client.get(reverse("order_detail", args=[world.order.pk]))
    assert page.status_code == 200
    assert b'data-testid="order-quality"' not in page.content
    assert b"Bore" not in page.content
    assert client.get(reverse("quality_file_download", args=[item.pk])).status_code == 404
    assert client.get(reverse("quality_archive", args=[world.order.pk])).status_code == 404
    assert not QualityDownload.objects.exists()
    # The customer and the workshops on the order still read them.
    for user in (world.alice, world.bob, world.charlie, world.olga):
        assert (
            api_client_for(user).get(f"{API}/orders/{world.order.pk}/quality/").status_code == 200
        )


def test_a_tolerance_wider_than_the_class_is_a_400_through_the_api(world):
    response = api_client_for(world.bob).post(
        f"{API}/jobs/{world.milled.pk}/quality-record/",
        {
            "outcome": "pass",
            "measurements": [
                {"name": "bore", "nominal_mm": "10", "measured_mm": "15", "tolerance_mm": "5"}
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "tolerance_too_wide"
    assert not QualityRecord.objects.exists()


def test_a_route_with_a_word_for_an_id_answers_the_json_404(world):
    response = api_client_for(world.bob).post(
        f"{API}/quality-records/abc/review/", {"accepted": True}, format="json"
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "not_found"


def test_the_web_form_refuses_what_the_columns_cannot_hold_and_pages_keep_working(world, client):
    client.force_login(world.bob)
    url = reverse("quality_record", args=[world.milled.pk])
    for form, message in (
        (
            {"name_0": "Bore", "nominal_0": "999999.99995", "measured_0": "999999.99995"},
            "more than 4 decimal places",
        ),
        (
            {"name_0": "Bore", "nominal_0": "10", "measured_0": "10", "tolerance_0": "99999"},
            "less than 10,000 mm",
        ),
        ({"name_0": "B" * 500, "nominal_0": "10", "measured_0": "10"}, "at most 80 characters"),
    ):
        page = client.post(url, {**form, "outcome": "pass"}, follow=True)
        assert page.status_code == 200
        assert message in page.content.decode(), message
    assert not QualityRecord.objects.exists()
    assert client.get(reverse("job_detail", args=[world.milled.pk])).status_code == 200
    assert (
        api_client_for(world.alice).get(f"{API}/orders/{world.order.pk}/quality/").status_code
        == 200
    )


def test_a_download_is_named_by_its_content_not_its_uploaders_extension(world):
    item = quality_file_add(
        user=world.bob,
        job=world.milled,
        kind="file",
        upload=upload("x.html", b"dimension,mm\nbore,10.01\n"),
    )
    assert item.content_type == "text/csv"
    response = api_client_for(world.alice).get(f"{API}/quality-files/{item.pk}/download/")
    assert response.status_code == 200
    assert 'filename="x.csv"' in response["Content-Disposition"]
    response.close()


def test_a_step_takes_no_more_files_than_its_cap_through_the_api(world, monkeypatch):
    from marketplace.quality import services

    monkeypatch.setattr(services, "MAX_FILES_PER_JOB", 2)
    client = api_client_for(world.bob)
    url = f"{API}/jobs/{world.milled.pk}/quality-files/"
    for name in ("a.jpg", "b.jpg"):
        assert client.post(url, {"kind": "photo", "file": upload(name, JPEG)}).status_code == 201
    response = client.post(url, {"kind": "photo", "file": upload("c.jpg", JPEG)})
    assert response.status_code == 409
    assert error_of(response)["code"] == "too_many_files"


def test_a_member_acting_as_another_workshop_adds_no_file_to_the_step(world):
    """Bob, also a member of Charlie's workshop, acts as Charlie's: Bob's step is not his."""
    from marketplace.quality.models import QualityFile
    from tests.factories import MembershipFactory
    from tests.helpers import organization_of

    charlie = organization_of(world.charlie)
    MembershipFactory(user=world.bob, organization=charlie)
    client = api_client_for(world.bob)
    url = f"{API}/jobs/{world.milled.pk}/quality-files/"
    response = client.post(
        url, {"kind": "photo", "file": upload("a.jpg", JPEG)}, HTTP_X_ORGANIZATION=str(charlie.pk)
    )
    assert response.status_code == 403, response.content
    assert charlie.name in error_of(response)["message"]
    assert not QualityFile.objects.exists()
    bob = world.milled.workshop.organization
    response = client.post(
        url, {"kind": "photo", "file": upload("a.jpg", JPEG)}, HTTP_X_ORGANIZATION=str(bob.pk)
    )
    assert response.status_code == 201, response.content
    assert client.post(url, {"kind": "photo", "file": upload("b.jpg", JPEG)}).status_code == 201
