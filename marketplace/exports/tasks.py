"""Celery task of exports (default queue)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def organization_export_task(export_id: int) -> str:
    """Builds one export; a rerun finds it claimed and does nothing."""
    from marketplace.exports.services import export_build

    return export_build(export_id=export_id).status


@shared_task
def exports_expired_delete_task() -> int:
    """Hourly: the files of exports whose download link expired are deleted."""
    from marketplace.exports.services import exports_expired_delete

    return exports_expired_delete()
