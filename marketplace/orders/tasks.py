"""Celery tasks of orders: quotes, outages and recoveries solved on the `matching` queue,
periodic housekeeping."""

from __future__ import annotations

from celery import shared_task


@shared_task
def orders_housekeeping_task() -> dict:
    """Periodic (see CELERY_BEAT_SCHEDULE): expire unpaid orders, complete delivered ones."""
    from marketplace.orders.housekeeping import orders_housekeeping

    return orders_housekeeping()


@shared_task(acks_late=True)
def quote_solve_task(quote_request_id: int) -> str:
    """Solve a quote request too large to answer within the request, and store its options.

    ``quote_solve`` replaces the request's options and status as a whole, so a rerun after
    a lost worker is harmless. Returns the request's new status.
    """
    from marketplace.orders.quotes import quote_solve

    return quote_solve(quote_request_id=quote_request_id).status


@shared_task(acks_late=True)
def outage_replan_task() -> dict:
    """Re-plan every open order touched by the machines down now, in one pass (``matching``
    queue). A rerun finds the moved steps already moved, so it is harmless."""
    from marketplace.orders.outages import outage_replan

    return outage_replan()


@shared_task(acks_late=True)
def recovery_replan_task() -> dict:
    """Re-optimise open orders now that capacity came back (``matching`` queue); an order
    moves only for an improvement, so a rerun is harmless."""
    from marketplace.orders.outages import recovery_replan

    return recovery_replan()
