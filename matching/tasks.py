"""Celery tasks of the matcher (queue ``matching``): thin, by id, through the solver registry."""

from typing import Any

from celery import shared_task


@shared_task(acks_late=True)
def solve_and_store_task(kind: str, object_id: int) -> Any:
    """Run the solver the owning app registered for ``kind`` ("quote", "replan") on one object.

    The registered service stores its own result and guards its own status, so a rerun after
    a lost worker is harmless; what it returns must be JSON-serialisable.
    """
    from matching.adapter import run_solver

    return run_solver(kind=kind, object_id=object_id)
