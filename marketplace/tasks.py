"""Celery tasks of the marketplace: thin wrappers that take ids and call one service."""

from celery import shared_task

from marketplace.matching_tasks import quote_solve_task

__all__ = ["design_analyse_task", "orders_housekeeping_task", "quote_solve_task"]


@shared_task(acks_late=True)
def design_analyse_task(revision_id: int) -> str:
    """Runs on the `analysis` queue; a rerun of a finished revision does nothing."""
    from marketplace.designs import design_analyse

    return design_analyse(revision_id=revision_id).status


@shared_task
def orders_housekeeping_task() -> dict:
    """Periodic (see CELERY_BEAT_SCHEDULE): expire unpaid orders, complete delivered ones."""
    from marketplace.orders import orders_housekeeping

    return orders_housekeeping()
