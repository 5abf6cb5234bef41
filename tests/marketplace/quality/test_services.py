"""Quality records through the services: recording, files, required documents that hold the
last step and completion back, and the review that becomes the step's inspection outcome."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from billing.sharing import QUALITY_FACTORS, Quality
from marketplace.errors import Conflict, PermissionDenied
from marketplace.orders.contributions import job_party
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.jobs import job_complete
from marketplace.orders.models import Job, Order, OrderEvent
from marketplace.orders.services import order_complete
from marketplace.quality.models import QualityDownload, QualityRecord, QualityRequirement
from marketplace.quality.selectors import documents_missing, required_documents
from marketplace.quality.services import (
    QualityRefused,
    quality_archive,
    quality_file_add,
    quality_record_review,
    quality_record_save,
    quality_requirement_set,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, WorkshopFactory
from tests.factories.orders import JobFactory
from tests.factories.work import order_in_production

from .conftest import JPEG, PDF, PNG, finish, upload

pytestmark = pytest.mark.django_db

IN_TOLERANCE = [{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.03"}]
OUT_OF_TOLERANCE = [{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.08"}]


def test_the_line_tolerance_class_applies_when_none_is_given(world):
    record = quality_record_save(
        user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    [m] = record.measurements.all()
    assert (m.tolerance_mm, m.within_tolerance) == (Decimal("0.05"), True)  # precision class
    assert OrderEvent.objects.filter(order=world.order, kind="quality.recorded").exists()


def test_pass_is_refused_while_a_dimension_is_out_of_tolerance(world):
    with pytest.raises(QualityRefused, match="Out of tolerance: Bore") as refused:
        quality_record_save(
            user=world.bob, job=world.milled, outcome="pass", measurements=OUT_OF_TOLERANCE
        )
    assert refused.value.code == "out_of_tolerance"
    assert not QualityRecord.objects.exists()
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome="rework",
        note="Bore reamed again",
        measurements=[{**IN_TOLERANCE[0], "tolerance_mm": "0.02"}],
    )
    assert not record.measurements.get().within_tolerance  # a tighter one wins over the class


def test_rework_needs_a_note_and_numbers_must_be_numbers(world):
    with pytest.raises(QualityRefused, match="Say what is wrong"):
        quality_record_save(user=world.bob, job=world.milled, outcome="rework", measurements=[])
    with pytest.raises(QualityRefused, match="nominal size is not a number"):
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="pass",
            measurements=[{"name": "Bore", "nominal_mm": "ten", "measured_mm": "10"}],
        )


def test_only_the_steps_own_workshop_records_it(world):
    with pytest.raises(PermissionDenied):
        quality_record_save(
            user=world.charlie, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
        )


def test_files_are_kept_by_content_and_refused_otherwise(world):
    item = quality_file_add(
        user=world.bob, job=world.milled, kind="photo", upload=upload("bore.jpg", JPEG)
    )
    assert (item.content_type, item.original_name, item.size_bytes) == (
        "image/jpeg",
        "bore.jpg",
        len(JPEG),
    )
    with pytest.raises(QualityRefused, match="content says otherwise"):
        quality_file_add(
            user=world.bob,
            job=world.milled,
            kind="certificate_of_conformity",
            upload=upload("coc.pdf", b"#!/bin/sh\nrm -rf /\n"),
        )
    with pytest.raises(PermissionDenied):
        quality_file_add(
            user=world.alice, job=world.milled, kind="photo", upload=upload("x.png", PNG)
        )


def test_a_tight_tolerance_class_requires_an_inspection_report(world):
    [doc] = required_documents(world.order)
    assert (doc.kind, doc.satisfied, doc.removable) == ("inspection_report", False, False)
    quality_file_add(
        user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.pdf", PDF)
    )
    assert documents_missing(world.order) == []


def test_the_customer_chooses_documents_only_before_production(customer_alice, workshop_bob):
    story = order_in_production(customer_alice, workshop_bob, status="paid")
    quality_requirement_set(
        user=customer_alice, order=story.order, kind="material_certificate", required=True
    )
    assert "Material certificate" in documents_missing(story.order)
    with pytest.raises(PermissionDenied):
        quality_requirement_set(
            user=workshop_bob, order=story.order, kind="material_certificate", required=False
        )
    story.order.status = "in_production"
    story.order.save(update_fields=["status"])
    with pytest.raises(Conflict, match="Production has started"):
        quality_requirement_set(
            user=customer_alice, order=story.order, kind="material_certificate", required=False
        )
    assert QualityRequirement.objects.filter(order=story.order).count() == 1


def test_the_last_step_cannot_finish_while_a_required_document_is_missing(world):
    Job.objects.filter(pk=world.milled.pk).update(status=Job.Status.IN_PROGRESS)
    finish(world.following)  # Bob's milling is now the only open step
    world.milled.refresh_from_db()
    with pytest.raises(Conflict, match="upload the inspection report first") as refused:
        job_complete(user=world.bob, job=world.milled)
    assert refused.value.code == "quality_documents_missing"
    world.milled.refresh_from_db()
    assert world.milled.status == Job.Status.IN_PROGRESS
    quality_file_add(
        user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.pdf", PDF)
    )
    assert job_complete(user=world.bob, job=world.milled).status == Job.Status.DONE


def test_a_step_that_is_not_the_last_finishes_without_the_documents(world):
    Job.objects.filter(pk=world.milled.pk).update(status=Job.Status.IN_PROGRESS)
    world.milled.refresh_from_db()
    assert job_complete(user=world.bob, job=world.milled).status == Job.Status.DONE


def test_the_order_cannot_complete_while_a_required_document_is_missing(world):
    world.order.status = "delivered"
    world.order.save(update_fields=["status"])
    with pytest.raises(Conflict, match="inspection report"):
        order_complete(user=world.alice, order=world.order)
    world.order.refresh_from_db()
    assert world.order.status == "delivered"
    quality_file_add(
        user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.pdf", PDF)
    )
    assert order_complete(user=world.alice, order=world.order).status == "completed"


def test_auto_completion_waits_quietly_for_a_missing_document(world, settings, caplog):
    """Before: every pass logged the refusal as an exception and told the operators; a
    missing document is an expected state, so the pass skips the order and tries again."""
    settings.ORDER_AUTO_COMPLETE_DAYS = 14
    long_ago = timezone.now() - timedelta(days=15)
    Order.objects.filter(pk=world.order.pk).update(status="delivered", delivered_at=long_ago)
    for _ in range(2):
        with caplog.at_level(logging.DEBUG, logger="marketplace.orders.housekeeping"):
            counts = orders_housekeeping()
        assert (counts["completed"], counts["failed"]) == (0, 0)
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []
    assert "inspection report" in caplog.records[0].getMessage()
    assert not world.olga.notifications.filter(kind="housekeeping.failed").exists()
    world.order.refresh_from_db()
    assert world.order.status == "delivered"
    quality_file_add(
        user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.pdf", PDF)
    )
    assert orders_housekeeping()["completed"] == 1
    world.order.refresh_from_db()
    assert world.order.status == "completed"


def test_the_next_steps_workshop_accepts_and_the_share_reads_the_outcome(world):
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome="rework",
        note="Deburred twice",
        measurements=OUT_OF_TOLERANCE,
    )
    finish(world.milled)
    with pytest.raises(PermissionDenied):  # never the workshop that did the work
        quality_record_review(user=world.bob, record=record, accepted=True)
    with pytest.raises(PermissionDenied):  # the customer only once delivered
        quality_record_review(user=world.alice, record=record, accepted=True)
    quality_record_review(user=world.charlie, record=record, accepted=True)
    world.milled.refresh_from_db()
    assert world.milled.inspection == "reworked"
    party, _ = job_party(world.milled, "EUR")
    assert party.quality == Quality.REWORKED
    with pytest.raises(Conflict, match="already accepted"):
        quality_record_review(user=world.charlie, record=record, accepted=False, reason="No")


def test_a_rejection_needs_a_reason_and_counts_as_rejected(world):
    record = quality_record_save(
        user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    finish(world.milled)
    with pytest.raises(QualityRefused, match="Say why"):
        quality_record_review(user=world.charlie, record=record, accepted=False)
    quality_record_review(user=world.charlie, record=record, accepted=False, reason="Bore is oval")
    world.milled.refresh_from_db()
    assert (world.milled.inspection, world.milled.inspection_note) == ("rejected", "Bore is oval")
    # An operator may correct it.
    quality_record_review(user=world.olga, record=record, accepted=True)
    world.milled.refresh_from_db()
    assert world.milled.inspection == "accepted"


def test_an_unrelated_workshop_may_not_review(world):
    stranger = UserFactory()
    organization = OrganizationFactory(kind="workshop")
    MembershipFactory(user=stranger, organization=organization)
    WorkshopFactory(organization=organization)
    record = quality_record_save(
        user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    finish(world.milled)
    with pytest.raises(PermissionDenied):
        quality_record_review(user=stranger, record=record, accepted=True)


def test_the_archive_holds_the_files_and_the_measurements_and_is_logged(world):
    import zipfile

    quality_record_save(user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE)
    quality_file_add(user=world.bob, job=world.milled, kind="photo", upload=upload("bore.png", PNG))
    archive = zipfile.ZipFile(quality_archive(user=world.alice, order=world.order))
    names = archive.namelist()
    assert "measurements.csv" in names
    assert any(n.endswith("-bore.png") for n in names)
    assert '"Bore",10.0000,10.0300,0.0500,yes' in archive.read("measurements.csv").decode()
    assert QualityDownload.objects.filter(order=world.order, archive=True).count() == 1


def test_an_empty_order_has_no_archive(world):
    with pytest.raises(Conflict, match="no quality records"):
        quality_archive(user=world.alice, order=world.order)


measurement = st.tuples(
    st.decimals(min_value=1, max_value=200, places=2),
    st.decimals(min_value=-1, max_value=1, places=3),
    # A given tolerance may only be tighter than the line's precision class (0.05 mm).
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value="0.05", places=2)),
)


class TestRecordedJudgementAndShareAgree(HypothesisTestCase):
    """Random measurement sets through the real services: what the workshop may record and
    what the accepted record gives the sharing rule agree with the measurements."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        rows=st.lists(measurement, max_size=5),
        outcome=st.sampled_from(["pass", "rework", "reject"]),
    )
    def test_judgement_and_factor_agree(self, rows, outcome):
        from accounts.models import Organization
        from tests.conftest import _member
        from tests.factories import WorkshopFactory as Shops
        from tests.helpers import organization_of, workshop_of

        with transaction.atomic():
            alice = _member(f"a{Organization.objects.count()}@example.com", "A", "customer")
            bob = _member(f"b{Organization.objects.count()}@example.com", "B", "workshop")
            Shops(organization=organization_of(bob))
            charlie = _member(f"c{Organization.objects.count()}@example.com", "C", "workshop")
            Shops(organization=organization_of(charlie))
            story = order_in_production(alice, bob, status="in_production")
            Job.objects.filter(pk=story.job.pk).update(status=Job.Status.IN_PROGRESS)
            JobFactory(
                order=story.order,
                workshop=workshop_of(charlie),
                sequence=story.job.sequence + 1,
                status=Job.Status.ACCEPTED,
            )
        measurements = [
            {
                "name": f"d{i}",
                "nominal_mm": str(nominal),
                "measured_mm": str(nominal + deviation),
                "tolerance_mm": None if tolerance is None else str(tolerance),
            }
            for i, (nominal, deviation, tolerance) in enumerate(rows)
        ]
        all_within = all(
            abs(deviation) <= (Decimal("0.05") if tolerance is None else tolerance)
            for _, deviation, tolerance in rows
        )
        try:
            record = quality_record_save(
                user=bob, job=story.job, outcome=outcome, note="checked", measurements=measurements
            )
        except QualityRefused as refused:
            code = refused.code
            assert outcome == "pass"
            assert not all_within or not rows
            assert code == ("out_of_tolerance" if rows else "measurements_required")
            return
        assert [m.within_tolerance for m in record.measurements.all()].count(False) == sum(
            1
            for _, deviation, tolerance in rows
            if abs(deviation) > (Decimal("0.05") if tolerance is None else tolerance)
        )
        finish(story.job)
        quality_record_review(user=charlie, record=record, accepted=True)
        story.job.refresh_from_db()
        party, _ = job_party(story.job, "EUR")
        factor = QUALITY_FACTORS[party.quality]
        assert (factor == 1) == (outcome == "pass")
        if not all_within:
            assert factor < 1


def test_a_step_inspected_the_old_way_is_not_overwritten_by_a_review(world):
    record = quality_record_save(
        user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    finish(world.milled)
    Job.objects.filter(pk=world.milled.pk).update(inspection="rejected")
    with pytest.raises(Conflict, match="already recorded as rejected"):
        quality_record_review(user=world.charlie, record=record, accepted=True)
    world.milled.refresh_from_db()
    assert world.milled.inspection == "rejected"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"nominal_mm": "999999.99995", "measured_mm": "10"}, "more than 4 decimal places"),
        ({"nominal_mm": "10", "measured_mm": "1000000"}, "less than 1,000,000 mm"),
        ({"nominal_mm": "10", "measured_mm": "10.00001"}, "more than 4 decimal places"),
        ({"nominal_mm": "10", "measured_mm": "10", "tolerance_mm": "99999"}, "less than 10,000"),
        ({"nominal_mm": "NaN", "measured_mm": "10"}, "not a size"),
    ],
)
def test_sizes_the_columns_cannot_hold_are_refused_not_rounded(world, row, message):
    with pytest.raises(QualityRefused, match=message) as refused:
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="reject",
            note="Scrap",
            measurements=[{"name": "Bore", **row}],
        )
    assert refused.value.code == "invalid_number"
    assert not QualityRecord.objects.exists()


def test_the_largest_sizes_the_columns_hold_are_kept_and_read_back(world):
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome="reject",
        note="Scrap",
        measurements=[{"name": "Bore", "nominal_mm": "999999.9999", "measured_mm": "0"}],
    )
    [m] = QualityRecord.objects.get(pk=record.pk).measurements.all()
    assert m.nominal_mm == Decimal("999999.9999")


def test_a_long_name_is_refused_not_cut(world):
    with pytest.raises(QualityRefused, match="at most 80 characters"):
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="pass",
            measurements=[{"name": "B" * 81, "nominal_mm": "10", "measured_mm": "10"}],
        )


def test_a_tolerance_wider_than_the_lines_class_and_an_empty_pass_are_refused(world):
    with pytest.raises(QualityRefused, match="wider than the line's tolerance class") as refused:
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="pass",
            measurements=[
                {"name": "Bore", "nominal_mm": "10", "measured_mm": "15", "tolerance_mm": "5"}
            ],
        )
    assert refused.value.code == "tolerance_too_wide"
    with pytest.raises(QualityRefused, match="at least one measured dimension") as refused:
        quality_record_save(user=world.bob, job=world.milled, outcome="pass", measurements=[])
    assert refused.value.code == "measurements_required"
    with pytest.raises(QualityRefused, match="cannot be negative") as refused:
        quality_record_save(
            user=world.bob,
            job=world.milled,
            outcome="pass",
            measurements=[{"name": "Bore", "nominal_mm": "10", "measured_mm": "-10"}],
        )
    assert refused.value.code == "negative_size"
    assert not QualityRecord.objects.exists()


def test_a_step_that_has_not_started_cannot_be_inspected(world):
    Job.objects.filter(pk=world.milled.pk).update(status=Job.Status.ACCEPTED)
    with pytest.raises(Conflict, match="Start the step") as refused:
        quality_record_save(
            user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
        )
    assert refused.value.code == "job_not_running"
    # A certificate may still arrive before the work starts.
    quality_file_add(
        user=world.bob, job=world.milled, kind="material_certificate", upload=upload("m.pdf", PDF)
    )


def test_a_step_keeps_at_most_its_cap_of_files_and_the_timeline_one_event_a_kind(world, settings):
    from marketplace.quality import services

    for i in range(services.MAX_FILES_PER_JOB):
        quality_file_add(
            user=world.bob, job=world.milled, kind="photo", upload=upload(f"{i}.png", PNG)
        )
    with pytest.raises(Conflict, match=f"at most {services.MAX_FILES_PER_JOB}") as refused:
        quality_file_add(
            user=world.bob, job=world.milled, kind="photo", upload=upload("x.png", PNG)
        )
    assert refused.value.code == "too_many_files"
    assert world.milled.quality_files.count() == services.MAX_FILES_PER_JOB
    assert OrderEvent.objects.filter(order=world.order, kind="quality.file").count() == 1


def test_an_empty_shell_does_not_satisfy_a_required_document(world):
    for shell in (b"%PDF-", b"%PDF-1.4\n" + b"0" * 400):
        with pytest.raises(QualityRefused, match="incomplete"):
            quality_file_add(
                user=world.bob,
                job=world.milled,
                kind="inspection_report",
                upload=upload("r.pdf", shell),
            )
    with pytest.raises(QualityRefused, match="cannot be read"):
        quality_file_add(
            user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.png", PNG)
        )
    assert documents_missing(world.order) == ["Inspection report"]


def test_html_posing_as_a_table_is_refused_and_files_are_served_by_their_content():
    from marketplace.quality.files import UploadRefused, check_upload

    with pytest.raises(UploadRefused):
        check_upload(kind="file", head=b"<html><body>a,b</body></html>", size=30)


def test_the_archive_is_spooled_not_held_in_a_bytes_buffer_and_names_entries_by_content(world):
    import io
    import zipfile

    quality_file_add(
        user=world.bob,
        job=world.milled,
        kind="file",
        upload=upload("readings.html", b"dimension,mm\nbore,10.01\n"),
    )
    result = quality_archive(user=world.alice, order=world.order)
    assert not isinstance(result, io.BytesIO)
    names = zipfile.ZipFile(result).namelist()
    assert any(n.endswith("-readings.csv") for n in names), names
    assert not any(n.endswith(".html") for n in names)
    result.close()


def test_a_member_of_the_recording_workshop_never_reviews_it(world):
    from tests.helpers import organization_of

    # Charlie also belongs to Bob's workshop: the next step's workshop, but also the recorder's.
    MembershipFactory(user=world.charlie, organization=organization_of(world.bob))
    record = quality_record_save(
        user=world.bob, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    finish(world.milled)
    with pytest.raises(PermissionDenied, match="never a member of the workshop"):
        quality_record_review(user=world.charlie, record=record, accepted=True)
    record.refresh_from_db()
    assert record.review == QualityRecord.Review.PENDING


def test_whoever_recorded_it_never_reviews_it_even_as_an_operator(world):
    from tests.helpers import organization_of

    MembershipFactory(user=world.olga, organization=organization_of(world.bob))
    record = quality_record_save(
        user=world.olga, job=world.milled, outcome="pass", measurements=IN_TOLERANCE
    )
    finish(world.milled)
    with pytest.raises(PermissionDenied):
        quality_record_review(user=world.olga, record=record, accepted=True)
    quality_record_review(user=world.charlie, record=record, accepted=True)
