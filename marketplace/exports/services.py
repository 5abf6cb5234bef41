"""Exports: a member asks, a task builds the archive with progress, members download it until
it expires. One export runs per organization at a time; asking again returns that one."""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require_membership
from marketplace.errors import Conflict, NotFound
from marketplace.exports.archive import archive_write
from marketplace.exports.models import EXPORT_VALIDITY, OrganizationExport

logger = logging.getLogger(__name__)


def export_request(*, user: User, organization: Organization) -> OrganizationExport:
    """Starts an export of the organization's data (members only), built after commit in
    `organization_export_task`; while one is being built, that one is returned."""
    require_membership(user=user, organization=organization)
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        running = OrganizationExport.objects.filter(
            organization=organization,
            status__in=[OrganizationExport.Status.PENDING, OrganizationExport.Status.RUNNING],
        ).first()
        if running is not None:
            return running
        export = OrganizationExport.objects.create(organization=organization, requested_by=user)
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from marketplace.exports.tasks import organization_export_task

    organization_export_task.delay(export_id)


def _progress_setter(export_id: int):
    def report(percent: int, step: str) -> None:
        OrganizationExport.objects.filter(pk=export_id).update(progress=percent, step=step)

    return report


def export_build(*, export_id: int) -> OrganizationExport:
    """Builds the archive. Only a pending export is claimed (compare-and-swap), so a task run
    twice builds once; a failure is recorded on the export, never half a file."""
    claimed = OrganizationExport.objects.filter(
        pk=export_id, status=OrganizationExport.Status.PENDING
    ).update(status=OrganizationExport.Status.RUNNING, progress=1, step="Starting")
    export = OrganizationExport.objects.select_related("organization").get(pk=export_id)
    if not claimed:
        return export
    try:
        with tempfile.TemporaryFile() as target:
            archive_write(
                organization=export.organization,
                target=target,
                progress=_progress_setter(export.pk),
            )
            size = target.tell()
            target.seek(0)
            name = f"cloud-factory-export-{export.organization.slug}-{export.pk}.zip"
            export.file.save(name, File(target), save=False)
    except Exception as error:  # the person sees that it failed; the log says why
        logger.exception("Export %s of %s failed", export.pk, export.organization)
        OrganizationExport.objects.filter(pk=export.pk).update(
            status=OrganizationExport.Status.FAILED,
            step="",
            error=f"The export could not be built ({type(error).__name__}). Try again; "
            "if it fails again, tell the platform's operators.",
            finished_at=timezone.now(),
        )
        export.refresh_from_db()
        return export
    now = timezone.now()
    export.status = OrganizationExport.Status.READY
    export.progress, export.step, export.size_bytes = 100, "Ready", size
    export.finished_at, export.expires_at = now, now + EXPORT_VALIDITY
    export.save()
    return export


def exports_of(*, user: User, organization: Organization):
    require_membership(user=user, organization=organization)
    return OrganizationExport.objects.filter(organization=organization).order_by("-id")


def export_get_for_member(*, user: User, export_id: int | str) -> OrganizationExport:
    """The export if the user belongs to its organization; operators get no backdoor."""
    try:
        export = OrganizationExport.objects.select_related("organization").get(pk=int(export_id))
    except (OrganizationExport.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such export.") from None
    from accounts.selectors import is_member_of

    if not is_member_of(user=user, organization_ids=[export.organization_id]):
        raise NotFound("No such export.")
    return export


def export_file_for_download(*, user: User, export_id: int | str) -> OrganizationExport:
    """The export a member may download now: ready, and not expired (an expired one's file is
    gone; ask for a new export)."""
    export = export_get_for_member(user=user, export_id=export_id)
    if export.status != OrganizationExport.Status.READY or not export.file:
        raise Conflict("This export is not ready yet.", code="export_not_ready")
    if export.is_expired:
        raise Conflict(
            "This export's download link has expired. Ask for a new export.", code="export_expired"
        )
    return export


def exports_expired_delete() -> int:
    """Deletes the files of expired exports (housekeeping); the rows stay as a record."""
    expired = OrganizationExport.objects.filter(
        status=OrganizationExport.Status.READY, expires_at__lte=timezone.now()
    ).exclude(file="")
    count = 0
    for export in expired:
        export.file.delete(save=False)
        OrganizationExport.objects.filter(pk=export.pk).update(file="")
        count += 1
    return count
