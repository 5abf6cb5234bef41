"""The export keeps quality and confidentiality records: inspection records with their
measurements, the steps' photos and documents as files, and NDA acceptances with the text as
accepted, all validating against docs/export-schema.json. Each party keeps its own side."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.designs.confidential import design_confidentiality_set
from marketplace.designs.models import NdaAcceptance
from marketplace.exports.services import export_request
from marketplace.orders.models import Job
from marketplace.quality.services import quality_file_add, quality_record_save
from tests.factories.orders import JobFactory
from tests.factories.work import order_in_production
from tests.helpers import organization_of, workshop_of
from tests.marketplace.exports.archive_reader import open_archive

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NDA = "The bracket's drawings stay within the workshop."


@pytest.fixture
def inspected(customer_alice, workshop_bob, workshop_charlie):
    """Bob's milling of Alice's confidential bracket, inspected with one dimension and a
    photo; Charlie's workshop holds the next step; Bob accepted the NDA."""
    story = order_in_production(customer_alice, workshop_bob, status="in_production")
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.IN_PROGRESS)
    story.job.refresh_from_db()
    JobFactory(
        order=story.order,
        workshop=workshop_of(workshop_charlie),
        line=story.job.line,
        sequence=story.job.sequence + 1,
        status=Job.Status.ACCEPTED,
    )
    record = quality_record_save(
        user=workshop_bob,
        job=story.job,
        outcome="pass",
        measurements=[{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.03"}],
    )
    photo = quality_file_add(
        user=workshop_bob,
        job=story.job,
        kind="photo",
        upload=SimpleUploadedFile("bore.png", PNG, content_type="image/png"),
    )
    design = design_confidentiality_set(
        user=customer_alice,
        design=story.job.line.revision.design,
        confidential=True,
        nda_text=NDA,
    )
    acceptance = NdaAcceptance.objects.create(
        design=design,
        organization=organization_of(workshop_bob),
        user=workshop_bob,
        nda_hash=design.nda_hash,
        nda_text=design.nda_text,
    )
    return record, photo, acceptance


def _document(client, user, capture) -> tuple:
    with capture(execute=True):
        export = export_request(user=user, organization=organization_of(user))
    client.force_login(user)
    response = client.get(f"/exports/{export.pk}/download/")
    assert response.status_code == 200
    return open_archive(b"".join(response.streaming_content))


def test_the_customer_export_holds_the_inspection_its_photo_and_who_accepted_the_nda(
    client, customer_alice, inspected, django_capture_on_commit_callbacks
):
    record, photo, acceptance = inspected
    archive, document = _document(client, customer_alice, django_capture_on_commit_callbacks)

    (exported,) = document["quality_records"]
    assert (exported["id"], exported["outcome"], exported["review"]) == (
        record.pk,
        "pass",
        "pending",
    )
    (measurement,) = exported["measurements"]
    assert (measurement["name"], measurement["measured_mm"], measurement["within_tolerance"]) == (
        "Bore",
        "10.0300",
        True,
    )
    (listed,) = document["quality_files"]
    assert (listed["id"], listed["kind"]) == (photo.pk, "photo")
    assert listed["file"].startswith(f"files/quality/{photo.order_id}/")
    assert archive.read(listed["file"]) == PNG
    assert listed["file"] in {f["path"] for f in document["files"]}

    (nda,) = document["nda_acceptances"]
    assert (nda["id"], nda["side"], nda["nda_text"]) == (acceptance.pk, "owner", NDA)
    assert nda["accepted_by"] == (acceptance.user.full_name or acceptance.user.email)


def test_the_inspected_workshop_keeps_its_step_and_the_nda_it_accepted(
    client, workshop_bob, inspected, django_capture_on_commit_callbacks
):
    record, photo, acceptance = inspected
    _, document = _document(client, workshop_bob, django_capture_on_commit_callbacks)
    assert [r["id"] for r in document["quality_records"]] == [record.pk]
    assert [f["id"] for f in document["quality_files"]] == [photo.pk]
    (nda,) = document["nda_acceptances"]
    assert (nda["side"], nda["design_id"]) == ("accepted", acceptance.design_id)


def test_another_workshop_on_the_order_does_not_take_the_first_ones_records(
    client, workshop_charlie, inspected, django_capture_on_commit_callbacks
):
    _, document = _document(client, workshop_charlie, django_capture_on_commit_callbacks)
    assert document["quality_records"] == []
    assert document["quality_files"] == []
    assert document["nda_acceptances"] == []
