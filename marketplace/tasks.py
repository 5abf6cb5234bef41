"""Celery tasks of the marketplace: thin wrappers that take ids and call one service."""

from celery import shared_task


@shared_task(acks_late=True)
def design_analyse_task(revision_id: int) -> str:
    """Runs on the `analysis` queue; a rerun of a finished revision does nothing."""
    from marketplace.designs import design_analyse

    return design_analyse(revision_id=revision_id).status
