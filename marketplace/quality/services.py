"""Writing quality records: the workshop's inspection and files, the customer's required
documents, the downstream review that becomes the step's inspection outcome, and logged
downloads.

The review is what the margin share reads (``Job.inspection``, through
``orders.contributions.job_party``), so it follows the inspection rule of
``orders.inspection``: never the workshop that did the work, and nothing once the order is
completed. Order then job are locked, in that order, as completion does.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from accounts.audit import record as audit_record
from accounts.models import Organization, User
from accounts.permissions import require_membership
from config.live import publish_to_users_on_commit
from config.text import visible_text
from marketplace.errors import Conflict, DomainError, NotYet, PermissionDenied
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import Job, Order, OrderEvent
from marketplace.orders.notices import involved_users
from marketplace.orders.ratings import workshop_rating_refresh
from marketplace.quality import judging
from marketplace.quality.files import (
    HEAD_BYTES,
    PHOTO_TYPES,
    UploadRefused,
    check_content,
    check_upload,
    is_document,
)
from marketplace.quality.models import (
    DocumentKind,
    QualityDownload,
    QualityFile,
    QualityMeasurement,
    QualityRecord,
    QualityRequirement,
)
from marketplace.quality.selectors import (
    documents_missing,
    requirements_refusal,
    reviewer_role,
)

# A workshop records its inspection while the step runs or once it is done: before the work
# starts there are no parts to measure.
RECORDABLE = (Job.Status.IN_PROGRESS, Job.Status.DONE)
# Files (a material certificate, say) may arrive as soon as the step is accepted.
UPLOADABLE = (Job.Status.ACCEPTED, Job.Status.IN_PROGRESS, Job.Status.DONE)
CLOSED = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
MAX_DIMENSIONS = 50
MAX_FILES_PER_JOB = 30
ARCHIVE_MEMORY_BYTES = 1024 * 1024  # bytes; a larger archive spills to a temporary file


class QualityRefused(DomainError):
    code = "quality_invalid"


@dataclass(frozen=True)
class MeasurementInput:
    """One dimension as typed: numbers as text or numbers; tolerance may be left out."""

    name: str
    nominal_mm: object
    measured_mm: object
    tolerance_mm: object = None


def size_mm(value: object, what: str, *, field: str) -> Decimal:
    """A length as the measurement's column ``field`` stores it: a number with at most its
    decimal places and digits, so that what is saved is what every page reads back. The one
    check the API and the web form share."""
    column = QualityMeasurement._meta.get_field(field)
    places = column.decimal_places
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise QualityRefused(f"{what} is not a number.", code="invalid_number") from None
    limit = Decimal(10) ** (column.max_digits - places)
    if not number.is_finite() or abs(number) >= limit:
        raise QualityRefused(
            f"{what} is not a size in millimetres (less than {limit:,} mm).",
            code="invalid_number",
        )
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise QualityRefused(
            f"{what} has more than {places} decimal places.", code="invalid_number"
        )
    return number.quantize(step)


def dimensions_from(
    measurements: Iterable[MeasurementInput | Mapping], *, tolerance_class: str
) -> list[judging.Dimension]:
    """The typed measurements as dimensions; a missing tolerance is the line's class's."""
    dimensions = []
    default = judging.tolerance_for(tolerance_class)
    longest = QualityMeasurement._meta.get_field("name").max_length
    for raw in measurements:
        m = raw if isinstance(raw, MeasurementInput) else MeasurementInput(**raw)
        name = str(m.name or "").strip()
        if len(name) > longest:
            raise QualityRefused(
                f"A dimension's name is at most {longest} characters.", code="invalid_dimension"
            )
        label = name or "A dimension"
        tolerance = (
            default
            if m.tolerance_mm in (None, "")
            else size_mm(m.tolerance_mm, f"{label}: the tolerance", field="tolerance_mm")
        )
        dimensions.append(
            judging.Dimension(
                name=name,
                nominal_mm=size_mm(m.nominal_mm, f"{label}: the nominal size", field="nominal_mm"),
                measured_mm=size_mm(
                    m.measured_mm, f"{label}: the measured size", field="measured_mm"
                ),
                tolerance_mm=tolerance,
            )
        )
    if len(dimensions) > MAX_DIMENSIONS:
        raise QualityRefused(f"Record at most {MAX_DIMENSIONS} dimensions per inspection.")
    return dimensions


def _job_for_workshop(*, user: User, job: Job) -> tuple[Order, Job]:
    """Order and job locked (in that order); the user must belong to the job's workshop."""
    order = Order.objects.select_for_update().get(pk=job.order_id)
    job = (
        Job.objects.select_for_update(of=("self",))
        .select_related("workshop__organization", "line")
        .get(pk=job.pk)
    )
    job.order = order
    require_membership(user=user, organization=job.workshop.organization)
    if order.status in CLOSED:
        raise Conflict(
            f"The order is {order.get_status_display().lower()}: its quality records are closed.",
            code="quality_closed",
        )
    return order, job


def _event(order: Order, user: User, role: Role, kind: str, text: str) -> None:
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        kind=kind,
        actor=user,
        role=role,
        reason=text[:500],
    )
    publish_to_users_on_commit(
        [u.pk for u in involved_users(order)],
        {"type": "order.changed", "data": {"order": order.pk, "kind": kind}},
    )


def quality_record_save(
    *,
    user: User,
    job: Job,
    outcome: str,
    measurements: Iterable[MeasurementInput | Mapping],
    note: str = "",
) -> QualityRecord:
    """The workshop records its step's inspection; pass is refused while a dimension is out
    of tolerance. It may record again until someone has reviewed it."""
    try:
        chosen = judging.Outcome(outcome)
    except ValueError:
        raise QualityRefused("Choose pass, rework or reject.", code="invalid_outcome") from None
    note = visible_text(note)
    if chosen != judging.Outcome.PASS and not note:
        raise QualityRefused(
            "Say what is wrong with the parts, so that the next party understands.",
            code="reason_required",
        )
    with transaction.atomic():
        order, job = _job_for_workshop(user=user, job=job)
        if job.status not in RECORDABLE:
            raise Conflict(
                "Start the step before recording its inspection: there are no parts to "
                "measure yet.",
                code="job_not_running",
            )
        tolerance_class = job.line.tolerance if job.line_id else "standard"
        dimensions = dimensions_from(measurements, tolerance_class=tolerance_class)
        try:
            judging.judge(
                outcome=chosen,
                dimensions=dimensions,
                widest_tolerance_mm=judging.tolerance_for(tolerance_class),
            )
        except judging.JudgingError as error:
            raise QualityRefused(str(error), code=error.code) from None
        record = QualityRecord.objects.filter(job=job).first()
        if record is not None and record.review != QualityRecord.Review.PENDING:
            raise Conflict(
                f"This inspection was already {record.get_review_display().lower()}.",
                code="quality_reviewed",
            )
        if record is None:
            record = QualityRecord(job=job, order=order)
        record.outcome = chosen.value
        record.note = note[:500]
        record.recorded_by = user
        record.save()
        record.measurements.all().delete()
        QualityMeasurement.objects.bulk_create(
            QualityMeasurement(
                record=record,
                name=d.name,
                nominal_mm=d.nominal_mm,
                measured_mm=d.measured_mm,
                tolerance_mm=d.tolerance_mm,
                within_tolerance=d.within_tolerance,
            )
            for d in dimensions
        )
        _event(
            order,
            user,
            Role.WORKSHOP,
            "quality.recorded",
            f"{job.name} at {job.workshop}: inspection recorded as "
            f"{record.get_outcome_display().lower()}",
        )
    return record


def quality_file_add(
    *, user: User, job: Job, kind: str, upload: File, acting_as: Organization | None = None
) -> QualityFile:
    """A photo, file or document of the workshop's step, kept only if its content is what
    its kind accepts (a document whole, not an empty shell) and its size fits. The timeline
    tells of the first file of each kind on a step, not of every one. A user who acts as one
    organization (``acting_as``) uploads only to that organization's steps."""
    if kind not in QualityFile.Kind.values:
        raise QualityRefused(
            "Choose photo, file, inspection report, certificate of conformity or material "
            "certificate.",
            code="invalid_kind",
        )
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    try:
        sniffed = check_upload(kind=kind, head=head, size=upload.size or 0)
        if is_document(kind) or sniffed.content_type in PHOTO_TYPES:
            check_content(kind=kind, content_type=sniffed.content_type, content=upload.read())
            upload.seek(0)
    except UploadRefused as error:
        raise QualityRefused(str(error), code="invalid_file") from None
    with transaction.atomic():
        order, job = _job_for_workshop(user=user, job=job)
        if acting_as is not None and acting_as.pk != job.workshop.organization_id:
            raise PermissionDenied(
                f"You act as {acting_as}, which does not hold this step; switch to "
                f"{job.workshop.organization} to add its files."
            )
        if job.status not in UPLOADABLE:
            raise Conflict(
                "Only a step your workshop has accepted takes quality files.",
                code="job_not_running",
            )
        kept = QualityFile.objects.filter(job=job)
        if kept.count() >= MAX_FILES_PER_JOB:
            raise Conflict(
                f"A step keeps at most {MAX_FILES_PER_JOB} quality files: put further "
                "photos or readings in one ZIP file.",
                code="too_many_files",
            )
        first_of_kind = not kept.filter(kind=kind).exists()
        original = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
        item = QualityFile(
            order=order,
            job=job,
            kind=kind,
            original_name=original,
            content_type=sniffed.content_type,
            size_bytes=upload.size,
            uploaded_by=user,
        )
        item.file.save(f"upload.{sniffed.extension}", upload, save=False)
        item.save()
        if first_of_kind:
            _event(
                order,
                user,
                Role.WORKSHOP,
                "quality.file",
                f"{job.name} at {job.workshop}: {item.get_kind_display().lower()} added",
            )
    return item


def quality_requirement_set(*, user: User, order: Order, kind: str, required: bool) -> Order:
    """The customer asks for a document (or no longer does) before production starts."""
    if kind not in DocumentKind.values:
        raise QualityRefused(
            "Choose inspection report, certificate of conformity or material certificate.",
            code="invalid_kind",
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        refusal = requirements_refusal(user=user, order=order)
        if refusal is not None:
            raise refusal
        label = DocumentKind(kind).label
        if required:
            _, created = QualityRequirement.objects.get_or_create(
                order=order, kind=kind, defaults={"requested_by": user}
            )
            text = f"{label} required"
        else:
            created = bool(QualityRequirement.objects.filter(order=order, kind=kind).delete()[0])
            text = f"{label} no longer required"
        if created:
            _event(order, user, Role.CUSTOMER, "quality.required", text)
    return order


def quality_record_review(
    *, user: User, record: QualityRecord, accepted: bool, reason: str = ""
) -> QualityRecord:
    """The next step's workshop, the customer once delivered, or an operator accepts or
    rejects a record; the result becomes the step's inspection outcome (an operator may
    correct a review)."""
    reason = visible_text(reason)
    if not accepted and not reason:
        raise QualityRefused(
            "Say why you reject the inspection, so that the workshop understands.",
            code="reason_required",
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=record.order_id)
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("workshop__organization")
            .get(pk=record.job_id)
        )
        job.order = order
        record = QualityRecord.objects.select_for_update().get(pk=record.pk)
        if job.status != Job.Status.DONE:
            raise Conflict(
                "Only a finished step's inspection can be reviewed.", code="job_not_done"
            )
        role = reviewer_role(user=user, job=job, record=record)
        if role is None:
            if order.status in CLOSED:
                raise Conflict(
                    f"The order is {order.get_status_display().lower()}: inspection results "
                    "can no longer change it.",
                    code="inspection_closed",
                )
            raise PermissionDenied(
                "Only the workshop of the next step, the customer once the parts are "
                "delivered, or an operator may review this inspection; never a member of the "
                "workshop that did the work, nor whoever recorded it."
            )
        if record.review != QualityRecord.Review.PENDING and role != Role.OPERATOR:
            raise Conflict(
                f"This inspection was already {record.get_review_display().lower()}; ask an "
                "operator to correct it.",
                code="quality_reviewed",
            )
        if (
            job.inspection
            and record.review == QualityRecord.Review.PENDING
            and role != Role.OPERATOR
        ):
            raise Conflict(
                f"This step was already recorded as {job.get_inspection_display().lower()}; "
                "ask an operator to correct it.",
                code="inspection_recorded",
            )
        quality = judging.review_quality(outcome=judging.Outcome(record.outcome), accepted=accepted)
        previous = {"review": record.review, "inspection": job.inspection}
        now = timezone.now()
        record.review = QualityRecord.Review.ACCEPTED if accepted else QualityRecord.Review.REJECTED
        record.review_reason = reason[:500]
        record.reviewed_by = user
        record.reviewed_at = now
        record.save(update_fields=["review", "review_reason", "reviewed_by", "reviewed_at"])
        job.inspection = quality.value
        job.inspection_note = (reason or record.note)[:500]
        job.inspected_at = now
        job.inspected_by = user
        job.save(update_fields=["inspection", "inspection_note", "inspected_at", "inspected_by"])
        workshop_rating_refresh(workshop_id=job.workshop_id)
        verdict = "accepted" if accepted else "rejected"
        if role == Role.OPERATOR:
            audit_record(
                actor=user,
                action="quality.review",
                target=record,
                details={
                    "order": order.reference,
                    "job": job.pk,
                    "review": record.review,
                    "inspection": quality.value,
                    "previous": previous,
                    "reason": reason,
                },
            )
        _event(
            order,
            user,
            role,
            "quality.reviewed",
            f"{job.name} at {job.workshop}: inspection {verdict}"
            + (f" ({reason})" if reason else ""),
        )
    return record


def quality_file_download(*, user: User, item: QualityFile) -> QualityFile:
    """Logs the download of one file the user may see (the selector checked it)."""
    QualityDownload.objects.create(order_id=item.order_id, file=item, user=user)
    return item


def quality_archive(*, user: User, order: Order) -> BinaryIO:
    """Every quality file and the records' measurements of the order as one ZIP, logged.

    Built in a temporary file that stays in memory only while small, so a large order's
    archive never sits whole in the worker's memory; the caller streams and closes it."""
    if not order.quality_files.exists() and not order.quality_records.exists():
        raise Conflict("This order has no quality records yet.", code="quality_empty")
    # Returned open: the response streams it and closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=ARCHIVE_MEMORY_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = [
            "step,workshop,outcome,review,dimension,nominal_mm,measured_mm,tolerance_mm,within"
        ]
        for record in order.quality_records.select_related("job__workshop").prefetch_related(
            "measurements"
        ):
            base = [
                _csv(record.job.name),
                _csv(str(record.job.workshop)),
                record.outcome,
                record.review,
            ]
            for m in record.measurements.all():
                lines.append(
                    ",".join(
                        [
                            *base,
                            _csv(m.name),
                            str(m.nominal_mm),
                            str(m.measured_mm),
                            str(m.tolerance_mm),
                            "yes" if m.within_tolerance else "no",
                        ]
                    )
                )
        archive.writestr("measurements.csv", "\n".join(lines) + "\n")
        for item in order.quality_files.select_related("job"):
            entry = f"{item.job.sequence:02d}-{item.kind}/{item.pk}-{item.served_name}"
            with item.file.open("rb") as handle, archive.open(entry, "w") as target:
                shutil.copyfileobj(handle, target, 64 * 1024)
    QualityDownload.objects.create(order=order, archive=True, user=user)
    spool.seek(0)
    return spool


def _csv(text: str) -> str:
    text = text.replace('"', '""')
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return f'"{text}"'


def on_job_finishing(sender, *, job: Job, **kwargs) -> None:
    """Refuses the step that finishes the order's work while a required document is missing."""
    others_open = (
        Job.objects.filter(order_id=job.order_id, status__in=Job.ACTIVE)
        .exclude(pk=job.pk)
        .exclude(status=Job.Status.DONE)
        .exists()
    )
    if others_open:
        return
    missing = documents_missing(job.order)
    if missing:
        raise NotYet(
            f"This is the order's last step: upload the {_and(missing)} first.",
            code="quality_documents_missing",
        )


def on_job_inspecting(sender, *, job: Job, **kwargs) -> None:
    """Refuses an outcome written past a step's inspection record: the record's review writes
    ``Job.inspection``, so a record never shows rejected while its step says reworked."""
    existing = QualityRecord.objects.filter(job_id=job.pk).first()
    if existing is not None:
        raise Conflict(
            "This step has an inspection record: accept or reject the record instead "
            f"(quality record {existing.pk}), so that the record and the step agree.",
            code="inspection_by_record",
        )


def on_documents_chosen(sender, *, order: Order, user: User, kinds: list[str], **kwargs) -> None:
    """Records the documents the customer ticked at checkout as the order's requirements; an
    unknown kind refuses the placing (``quality_requirement_set`` says which kinds exist)."""
    for kind in sorted(set(kinds)):
        quality_requirement_set(user=user, order=order, kind=kind, required=True)


def on_order_completing(sender, *, order: Order, role: str, **kwargs) -> None:
    """Refuses completion while a required document is missing; an operator may still close
    the order (a dispute's decision, for one)."""
    if role == Role.OPERATOR:
        return
    blocker = completion_blocker(order)
    if blocker:
        raise NotYet(blocker, code="quality_documents_missing")


def completion_blocker(order: Order) -> str:
    """Why its customer cannot complete the order yet, in words (a required document is
    missing), or ''. The refusal and the order page's disabled button both say it."""
    missing = documents_missing(order)
    if not missing:
        return ""
    verb = "is" if len(missing) == 1 else "are"
    return f"The order cannot be completed before its {_and(missing)} {verb} uploaded."


def _and(labels: list[str]) -> str:
    words = [label.lower() for label in labels]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def may_review(*, user: User, record: QualityRecord) -> bool:
    """Whether the page shows the review buttons: the service's own rule."""
    role = reviewer_role(user=user, job=record.job, record=record)
    return role is not None and (
        record.review == QualityRecord.Review.PENDING or role == Role.OPERATOR
    )
