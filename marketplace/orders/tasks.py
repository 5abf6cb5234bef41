"""Celery tasks of orders: periodic housekeeping."""

from __future__ import annotations

from celery import shared_task


@shared_task
def orders_housekeeping_task() -> dict:
    """Periodic (see CELERY_BEAT_SCHEDULE): expire unpaid orders, complete delivered ones."""
    from marketplace.orders.housekeeping import orders_housekeeping

    return orders_housekeeping()
