"""Celery tasks of the shop floor."""

from __future__ import annotations

from celery import shared_task


@shared_task
def shopfloor_silence_task() -> list[int]:
    """Periodic (see CELERY_BEAT_SCHEDULE): machines silent past their timeout, whose workshop
    chose so, are set down; a rerun finds them already down, so it is harmless."""
    from marketplace.shopfloor.services import machines_silence_check

    return machines_silence_check()
