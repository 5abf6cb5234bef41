"""Celery tasks of designs: analysis on the `analysis` queue."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def design_analyse_task(revision_id: int) -> str:
    """Runs on the `analysis` queue; a rerun of a finished revision does nothing."""
    from marketplace.designs.services import design_analyse

    return design_analyse(revision_id=revision_id).status
