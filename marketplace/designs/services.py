"""Designs: upload, validation before storage, and analysis of each revision.

Kept beside `services.py` because a design's life (sniff, store, analyse in a child process,
render) is its own workflow; views, API, task and command all call these functions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit import record
from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import member_user_ids, member_users, operator_users
from config.live import publish_to_users_on_commit
from marketplace.designs import geometry
from marketplace.designs.models import Design, DesignDownload, DesignReport, DesignRevision
from marketplace.errors import DomainError
from marketplace.network.models import Machine, Process, Workshop


class DesignRejected(DomainError):
    """The file cannot be accepted; nothing was stored."""

    code = "design_rejected"


def design_limits() -> geometry.Limits:
    return geometry.Limits(
        max_file_bytes=settings.DESIGN_MAX_FILE_MB * 1024 * 1024,
        max_triangles=settings.DESIGN_MAX_TRIANGLES,
        max_memory_bytes=settings.DESIGN_ANALYSIS_MEMORY_MB * 1024 * 1024,
        max_seconds=settings.DESIGN_ANALYSIS_SECONDS,
    )


def network_capabilities() -> list[geometry.ProcessCapability]:
    """What each shaping process in the verified network can make, for the report.

    The envelope is the largest available machine's; materials are those the process takes.
    """
    capabilities = []
    families = (Process.Family.ADDITIVE, Process.Family.SUBTRACTIVE, Process.Family.SHEET)
    machines = Machine.objects.filter(
        status=Machine.Status.AVAILABLE,
        workshop__verification_status=Workshop.Verification.VERIFIED,
        process__family__in=families,
    ).select_related("process")
    largest: dict[int, Machine] = {}
    for machine in machines:
        best = largest.get(machine.process_id)
        volume = machine.envelope_x_mm * machine.envelope_y_mm * machine.envelope_z_mm
        if best is None or volume > best.envelope_x_mm * best.envelope_y_mm * best.envelope_z_mm:
            largest[machine.process_id] = machine
    processes = Process.objects.filter(pk__in=largest).prefetch_related("materials")
    for process in processes:
        machine = largest[process.pk]
        capabilities.append(
            geometry.ProcessCapability(
                code=process.code,
                name=process.name,
                build_envelope_mm=tuple(float(v) for v in machine.envelope_mm),
                min_wall_mm=float(process.min_wall_mm or 0),
                min_feature_mm=float(process.min_feature_mm or 0),
                additive=process.family == Process.Family.ADDITIVE,
                # No self-supporting angle means the powder bed holds the part (SLS, MJF).
                powder_bed=process.family == Process.Family.ADDITIVE
                and process.self_supporting_angle_deg is None,
                self_supporting_angle_deg=float(process.self_supporting_angle_deg or 90),
                shape=geometry.shape_for(code=process.code, family=process.family),
                materials=tuple(m.code for m in process.materials.all()),
                # Sheet and machining start from stock: an open surface still tells the shape.
                needs_watertight=process.family == Process.Family.ADDITIVE,
            )
        )
    return capabilities or list(geometry.REFERENCE_PROCESSES)


def design_upload(
    *,
    user: User,
    organization: Organization,
    upload: UploadedFile,
    unit: str = DesignRevision.Unit.MM,
    name: str = "",
    design: Design | None = None,
) -> DesignRevision:
    """Checks the file's real content, stores it under a generated name, queues its analysis.

    A file that fails the checks (size, format, triangle count, archive safety) raises
    DesignRejected with the reason and leaves nothing behind. Uploading to an existing
    design adds a revision.
    """
    require_membership(user=user, organization=organization)
    if unit not in DesignRevision.Unit.values:
        raise DesignRejected(f"Unknown unit {unit!r}: choose mm, inch or m.")
    if design is not None and design.organization_id != organization.pk:
        raise DesignRejected("This design belongs to another organization.")
    path = _local_path(upload)
    try:
        sniffed = geometry.sniff(path if path else upload.read(), design_limits())
    except geometry.DesignFileError as error:
        raise DesignRejected(error.message, code=error.code) from error
    finally:
        upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)

    with transaction.atomic():
        if design is None:
            design = Design.objects.create(
                organization=organization,
                name=(name or Path(upload.name or "design").stem)[:200],
                created_by=user,
            )
        else:
            design = Design.objects.select_for_update().get(pk=design.pk)
        number = (design.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = DesignRevision(
            design=design,
            number=number,
            original_name=(upload.name or "")[:255],
            format=sniffed.format,
            size_bytes=sniffed.size_bytes,
            sha256=digest.hexdigest(),
            unit=sniffed.unit or unit,
            uploaded_by=user,
        )
        revision.file.save("upload", upload, save=False)
        revision.save()
        transaction.on_commit(lambda: _enqueue_analysis(revision.pk))
        publish_to_users_on_commit(
            member_user_ids(organization.pk),
            {"type": "design.uploaded", "data": {"design": design.pk, "revision": revision.pk}},
        )
    return revision


def _local_path(upload: UploadedFile) -> str | None:
    try:
        return upload.temporary_file_path()
    except AttributeError:
        return None


def _enqueue_analysis(revision_id: int) -> None:
    from marketplace.designs.tasks import design_analyse_task

    design_analyse_task.delay(revision_id)


def design_analyse(*, revision_id: int) -> DesignRevision:
    """Analyses one revision in an isolated child process; a rerun of a finished one is a no-op.

    Progress and the result reach the organization's members live. A file that turns out
    unreadable is marked failed with the reason; nothing is raised, as there is nobody to
    raise it to.
    """
    with transaction.atomic():
        revision = (
            DesignRevision.objects.select_for_update()
            .select_related("design__organization")
            .get(pk=revision_id)
        )
        if revision.status in (DesignRevision.Status.ANALYSED, DesignRevision.Status.FAILED):
            return revision
        revision.status = DesignRevision.Status.ANALYSING
        revision.save(update_fields=["status"])
        members = member_user_ids(revision.design.organization.pk)
        _progress(members, revision, "reading", 10, "Reading the file")

    workdir = Path(settings.MEDIA_ROOT) / "tmp"
    workdir.mkdir(parents=True, exist_ok=True)
    thumbnail = workdir / f"thumb-{revision.pk}.png"
    preview = workdir / f"preview-{revision.pk}.stl"
    try:
        analysis = geometry.analyze_path_isolated(
            revision.file.path,
            unit=revision.unit,
            limits=design_limits(),
            processes=network_capabilities(),
            thumbnail_to=thumbnail,
            preview_to=preview,
        )
    except geometry.DesignFileError as error:
        with transaction.atomic():
            revision.status = DesignRevision.Status.FAILED
            revision.error_code = error.code
            revision.error_message = error.message
            revision.analysed_at = timezone.now()
            revision.save(update_fields=["status", "error_code", "error_message", "analysed_at"])
            publish_to_users_on_commit(
                members,
                {
                    "type": "design.failed",
                    "data": {"revision": revision.pk, "message": error.message},
                },
            )
        return revision

    with transaction.atomic():
        _progress(members, revision, "saving", 90, "Saving the results")
        revision.analysis = analysis
        if thumbnail.exists():
            revision.thumbnail.save(
                "thumbnail.png", ContentFile(thumbnail.read_bytes()), save=False
            )
            thumbnail.unlink()
        if preview.exists():
            revision.preview.save("preview.stl", ContentFile(preview.read_bytes()), save=False)
            preview.unlink()
        revision.status = DesignRevision.Status.ANALYSED
        revision.analysed_at = timezone.now()
        revision.save()
        publish_to_users_on_commit(
            members,
            {
                "type": "design.analysed",
                "data": {
                    "design": revision.design_id,
                    "revision": revision.pk,
                    "bbox_mm": analysis["bbox_mm"],
                    "volume_mm3": analysis["volume_mm3"],
                    "watertight": analysis["watertight"],
                },
            },
        )
    return revision


def _progress(members: list[int], revision: DesignRevision, stage: str, percent: int, text: str):
    publish_to_users_on_commit(
        members,
        {
            "type": "design.progress",
            "data": {"revision": revision.pk, "stage": stage, "percent": percent, "text": text},
        },
    )


def design_download_record(
    *, revision: DesignRevision, user: User, acting_as: Organization | None = None
) -> DesignDownload:
    """Logs a file download before it is served; the caller has checked access already."""
    from marketplace.designs.selectors import revision_reader_organization

    return DesignDownload.objects.create(
        revision=revision,
        user=user,
        organization=revision_reader_organization(
            revision=revision, user=user, acting_as=acting_as
        ),
    )


def design_delete(*, user: User, design: Design) -> None:
    """Removes a design and its files (orders keep their own copy of what was ordered)."""
    require_membership(user=user, organization=design.organization)
    files = []
    for revision in design.revisions.all():
        files.extend(f for f in (revision.file, revision.thumbnail, revision.preview) if f)
    with transaction.atomic():
        design.delete()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])


def design_report(*, user: User, design: Design, kind: str, details: str) -> DesignReport:
    """Anyone who can see a design (its workshops, operators) may report it to the operators."""
    from accounts.services import notify

    if not Design.objects.visible_to(user).filter(pk=design.pk).exists():
        raise DomainError("No such design.", code="not_found")
    if kind not in DesignReport.Kind.values:
        raise DomainError("Choose what is wrong with the design.", code="invalid_kind")
    if len(details.strip()) < 10:
        raise DomainError("Describe the problem in a sentence or two.", code="details_required")
    with transaction.atomic():
        report = DesignReport.objects.create(
            design=design, reporter=user, kind=kind, details=details.strip()
        )
        notify(
            users=operator_users(),
            kind="design.reported",
            title=f"Design reported: {design}",
            body=report.get_kind_display(),
            url="/dashboard/#moderation",
        )
    return report


def design_report_decide(*, operator: User, report: DesignReport, uphold: bool, note: str):
    """An operator upholds a report (the design is blocked from quoting) or dismisses it."""
    from accounts.permissions import require_operator
    from accounts.services import notify

    require_operator(user=operator)
    if uphold and not note.strip():
        raise DomainError(
            "Say why the design is blocked; its owner reads it.", code="note_required"
        )
    with transaction.atomic():
        report = DesignReport.objects.select_for_update().get(pk=report.pk)
        if report.status != DesignReport.Status.OPEN:
            return report
        report.status = DesignReport.Status.UPHELD if uphold else DesignReport.Status.DISMISSED
        report.decided_by = operator
        report.decision_note = note.strip()
        report.decided_at = timezone.now()
        report.save()
        record(
            actor=operator,
            action="design_report.decide",
            target=report,
            details={"upheld": uphold, "note": report.decision_note},
        )
        if uphold:
            design = Design.objects.select_for_update().get(pk=report.design_id)
            design.blocked = True
            design.blocked_reason = report.decision_note
            design.save(update_fields=["blocked", "blocked_reason"])
            notify(
                users=member_users(design.organization_id),
                kind="design.blocked",
                title=f"{design} was blocked",
                body=report.decision_note,
                url=f"/designs/{design.pk}/",
            )
    return report


OVERRIDE_REASON_MIN = 10  # characters: a sentence, not "ok"
OVERRIDE_REASON_MAX = 1000


def revision_findings_override(*, user: User, revision: DesignRevision, reason: str):
    """The customer orders a revision despite its error findings, and says why.

    The reason is kept on the revision and shown to everyone who sees the design or a quote
    for it (the workshops making it know what they were warned about). An empty reason
    withdraws the override.
    """
    require_membership(user=user, organization=revision.design.organization)
    reason = reason.strip()
    with transaction.atomic():
        revision = DesignRevision.objects.select_for_update().get(pk=revision.pk)
        if not reason:
            revision.findings_override_reason = ""
            revision.findings_overridden_by = None
            revision.findings_overridden_at = None
        else:
            if not revision.is_analysed:
                raise DomainError(
                    "The analysis is not finished; there is nothing to override yet.",
                    code="not_analysed",
                )
            if not revision.error_findings:
                raise DomainError(
                    "This revision has no error findings to override.", code="nothing_to_override"
                )
            if not OVERRIDE_REASON_MIN <= len(reason) <= OVERRIDE_REASON_MAX:
                raise DomainError(
                    f"Say in {OVERRIDE_REASON_MIN} to {OVERRIDE_REASON_MAX} characters why the "
                    "part can be made as it is; the workshops read it.",
                    code="reason_required",
                )
            revision.findings_override_reason = reason
            revision.findings_overridden_by = user
            revision.findings_overridden_at = timezone.now()
        revision.save(
            update_fields=[
                "findings_override_reason",
                "findings_overridden_by",
                "findings_overridden_at",
            ]
        )
    return revision
