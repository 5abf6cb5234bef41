"""Findings of a hostile review of quality records, each kept with the test that caught it."""

import contextlib
import random
import struct
import warnings
import zlib
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import OperatorAction
from config.errors import DomainError
from config.text import visible_text
from marketplace.orders.inspection import job_inspection_record
from marketplace.orders.models import Job, Order
from marketplace.quality import judging
from marketplace.quality.files import MAX_IMAGE_PIXELS, UploadRefused, check_content
from marketplace.quality.models import QualityFile, QualityRecord
from marketplace.quality.services import (
    QualityRefused,
    quality_record_review,
    quality_record_save,
    quality_requirement_set,
)
from tests.helpers import api_client_for, error_of

from .conftest import finish, upload

pytestmark = pytest.mark.django_db

API = "/api/v1"
NO_BOUNDARY = b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nphoto\r\n--x--\r\n'


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (its data is one row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


BOMB = _png_claiming(50_000, 50_000)


@pytest.mark.parametrize(
    "kind", ["inspection_report", "certificate_of_conformity", "material_certificate", "photo"]
)
def test_a_picture_claiming_billions_of_pixels_is_a_400_through_the_api(world, kind):
    response = api_client_for(world.bob).post(
        f"{API}/jobs/{world.milled.pk}/quality-files/",
        {"kind": kind, "file": upload("bomb.png", BOMB)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid_file"
    assert "too large to open: 2,500,000,000 pixels" in error["message"]
    assert not QualityFile.objects.exists()


def test_a_picture_claiming_billions_of_pixels_is_refused_on_the_web_form(world):
    client = Client()
    client.force_login(world.bob)
    response = client.post(
        reverse("quality_file", args=[world.milled.pk]),
        {"kind": "inspection_report", "file": upload("bomb.png", BOMB)},
        follow=True,
    )
    assert response.status_code == 200
    assert b"too large to open" in response.content
    assert not QualityFile.objects.exists()


def test_a_multipart_body_without_a_boundary_is_a_json_400_on_quality_files(world):
    response = api_client_for(world.bob).generic(
        "POST",
        f"{API}/jobs/{world.milled.pk}/quality-files/",
        NO_BOUNDARY,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "parse_error"


def test_a_photo_just_over_the_pixel_limit_is_refused_and_one_at_it_is_kept():
    assert MAX_IMAGE_PIXELS == 6000 * 10000
    check_content(kind="photo", content_type="image/png", content=_png_claiming(6000, 10000))
    with pytest.raises(UploadRefused, match="60,006,000 pixels, at most 60,000,000"):
        check_content(kind="photo", content_type="image/png", content=_png_claiming(6000, 10001))


def _jpeg_claiming(width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG")
    content = bytearray(buffer.getvalue())
    frame = content.find(b"\xff\xc0")
    content[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(content)


def _webp_claiming(width: int, height: int) -> bytes:
    """A lossless WebP whose extended header (VP8X) claims a canvas of width x height."""
    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "WEBP", lossless=True)
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", 10) + bytes(4) + canvas + buffer.getvalue()[12:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("kind", ["photo", "material_certificate"])
@pytest.mark.parametrize(
    ("content_type", "content", "pixels"),
    [
        ("image/jpeg", _jpeg_claiming(60_000, 60_000), "3,600,000,000"),
        # Pillow's WebP reader refuses a bomb itself, saying its size only in words.
        ("image/webp", _webp_claiming(16_384, 16_384), "268,435,456"),
    ],
    ids=["jpeg", "webp"],
)
def test_jpeg_and_webp_bombs_are_refused_with_their_size(kind, content_type, content, pixels):
    with pytest.raises(UploadRefused, match=f"too large to open: {pixels} pixels"):
        check_content(kind=kind, content_type=content_type, content=content)


@pytest.mark.parametrize("seed", range(3))
def test_no_mangled_picture_makes_pillow_raise_past_the_check(seed):
    """Any PIL error while reading a document's picture is a refusal, never a crash."""
    rng = random.Random(seed)
    whole = _png_claiming(4, 4)
    for _ in range(300):
        content = bytearray(whole)
        for _ in range(rng.randint(1, 6)):
            content[rng.randrange(8, len(content))] = rng.randrange(256)
        content = bytes(content[: rng.randint(9, len(content))])
        with contextlib.suppress(UploadRefused):
            check_content(kind="inspection_report", content_type="image/png", content=content)


def test_a_decompression_bomb_warning_raised_as_an_error_is_a_refusal(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 8)  # a 4 x 4 picture now warns
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(UploadRefused, match="too large to open"):
            check_content(kind="inspection_report", content_type="image/png", content=_real_png())


def _real_png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


IN_TOLERANCE = [{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.01"}]


def _reviewable(world, outcome: str = "pass") -> QualityRecord:
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome=outcome,
        note="" if outcome == "pass" else "Deburred twice",
        measurements=IN_TOLERANCE,
    )
    finish(world.milled)
    return record


def test_an_operators_review_is_in_the_audit_log_with_who_what_and_why(world):
    record = _reviewable(world)
    quality_record_review(user=world.charlie, record=record, accepted=True)
    assert not OperatorAction.objects.exists()  # a workshop's review is no operator action
    quality_record_review(user=world.olga, record=record, accepted=False, reason="Bore is oval")
    [entry] = OperatorAction.objects.all()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        world.olga,
        "quality.review",
        "marketplace.qualityrecord",
        str(record.pk),
    )
    assert entry.details["review"] == "rejected"
    assert entry.details["inspection"] == "rejected"
    assert entry.details["previous"] == {"review": "accepted", "inspection": "accepted"}
    assert entry.details["reason"] == "Bore is oval"
    assert entry.details["order"] == world.order.reference


def test_an_operators_inspection_through_the_older_endpoint_is_in_the_audit_log(world):
    finish(world.milled)
    response = api_client_for(world.olga).post(
        f"{API}/orders/{world.order.pk}/jobs/{world.milled.pk}/inspection/",
        {"outcome": "reworked", "note": "Burrs on the edge"},
        format="json",
    )
    assert response.status_code == 200, response.content
    [entry] = OperatorAction.objects.all()
    assert (entry.actor, entry.action, entry.target_id) == (
        world.olga,
        "job.inspect",
        str(world.milled.pk),
    )
    assert entry.details == {
        "order": world.order.reference,
        "outcome": "reworked",
        "previous": "",
        "reason": "Burrs on the edge",
    }


def test_the_older_endpoint_refuses_a_step_with_an_inspection_record(world):
    """Before: it set the step to reworked while its record still said rejected."""
    record = _reviewable(world)
    quality_record_review(user=world.charlie, record=record, accepted=False, reason="Oval")
    response = api_client_for(world.olga).post(
        f"{API}/orders/{world.order.pk}/jobs/{world.milled.pk}/inspection/",
        {"outcome": "reworked", "note": "Reworked after all"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "inspection_by_record"
    world.milled.refresh_from_db()
    record.refresh_from_db()
    assert (world.milled.inspection, record.review) == ("rejected", "rejected")
    assert not OperatorAction.objects.exists()  # refused, so nothing happened to log


def test_record_and_step_agree_over_random_sequences_of_decisions(world):
    """Whatever the operator and the parties do, in any order, a reviewed record and its
    step's inspection say the same."""
    rng = random.Random(20261201)
    record = _reviewable(world, outcome=rng.choice(["pass", "rework", "reject"]))
    people = [world.charlie, world.olga, world.alice]
    Order.objects.filter(pk=world.order.pk).update(status="delivered")
    refusals: set[int] = set()
    for _ in range(60):
        user = rng.choice(people)
        try:
            if rng.random() < 0.5:
                quality_record_review(
                    user=user, record=record, accepted=rng.random() < 0.5, reason="Seen"
                )
            else:
                job_inspection_record(
                    user=user,
                    job=world.milled,
                    outcome=rng.choice(list(Job.Inspection.values)),
                    note="Seen",
                )
        except DomainError as refused:  # refusals are fine; a crash is not
            refusals.add(refused.status_code)
        record.refresh_from_db()
        world.milled.refresh_from_db()
        if record.review != QualityRecord.Review.PENDING:
            expected = judging.review_quality(
                outcome=judging.Outcome(record.outcome),
                accepted=record.review == QualityRecord.Review.ACCEPTED,
            )
            assert world.milled.inspection == expected.value
        else:
            assert world.milled.inspection == ""
    assert refusals <= {400, 403, 409}
    assert 409 in refusals  # the older endpoint was refused at least once


INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u2029",
    "\u202e",
    " ",
    "\t",
    "\n",
    "\u3164",
    "\u2800",
]


@pytest.mark.parametrize("reason", ["\u200b", "\u200b \u2060", "\ufeff\u00a0\u3164"])
def test_an_invisible_rejection_reason_is_refused(world, reason):
    record = _reviewable(world)
    response = api_client_for(world.charlie).post(
        f"{API}/quality-records/{record.pk}/review/",
        {"accepted": False, "reason": reason},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "reason_required"
    record.refresh_from_db()
    assert record.review == QualityRecord.Review.PENDING


def test_an_invisible_note_is_no_reason_for_rework_nor_for_the_older_inspection(world):
    with pytest.raises(QualityRefused, match="Say what is wrong"):
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="rework",
            note="\u200b\u200d",
            measurements=IN_TOLERANCE,
        )
    finish(world.milled)
    response = api_client_for(world.olga).post(
        f"{API}/orders/{world.order.pk}/jobs/{world.milled.pk}/inspection/",
        {"outcome": "rejected", "note": "\u2060"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "reason_required"


def test_visible_text_is_empty_exactly_when_nothing_would_show():
    rng = random.Random(7)
    for _ in range(2000):
        blank = "".join(rng.choice(INVISIBLE) for _ in range(rng.randint(0, 6)))
        assert visible_text(blank) == ""
        word = rng.choice(["Oval", "é", "x", "孔", "1"])
        text = blank + word + blank[::-1]
        assert visible_text(text) == word
    assert visible_text("a\u200bb") == "a\u200bb"  # only the ends are trimmed


def test_a_required_document_is_removable_only_while_removing_it_is_allowed(world):
    """Before: the list said removable while removing answered 409 requirements_closed."""
    Order.objects.filter(pk=world.order.pk).update(status="paid")
    quality_requirement_set(
        user=world.alice, order=world.order, kind="material_certificate", required=True
    )
    url = f"{API}/orders/{world.order.pk}/quality/"

    def removable(user) -> dict:
        documents = api_client_for(user).get(url).json()["required_documents"]
        return {d["kind"]: d["removable"] for d in documents}

    assert removable(world.alice) == {"inspection_report": False, "material_certificate": True}
    assert removable(world.bob)["material_certificate"] is False  # not the customer: 403
    for status in ("in_production", "shipped", "delivered", "completed", "cancelled"):
        Order.objects.filter(pk=world.order.pk).update(status=status)
        assert removable(world.alice)["material_certificate"] is False, status
        response = api_client_for(world.alice).post(
            f"{url}requirements/",
            {"kind": "material_certificate", "required": False},
            format="json",
        )
        assert response.status_code == 409, status


def test_the_order_page_offers_the_older_inspection_form_only_for_a_step_without_a_record(
    world,
):
    finish(world.milled)
    client = Client()
    client.force_login(world.olga)
    page = reverse("order_detail", args=[world.order.pk])
    marker = f'data-testid="inspect-{world.milled.pk}"'
    assert marker in client.get(page).content.decode()
    QualityRecord.objects.create(
        job=world.milled, order=world.order, outcome="pass", recorded_by=world.bob
    )
    assert marker not in client.get(page).content.decode()
