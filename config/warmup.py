"""What a web process, or a worker process of the analysis queue, starts in the background."""

from __future__ import annotations

from django.conf import settings


def warm_up_web_process() -> None:
    """A warm analysis parent, where uploads are analysed in the web process itself."""
    if settings.DESIGN_ANALYSIS_PREWARM:
        from marketplace.designs.geometry import pool

        pool.prewarm()


ANALYSIS_QUEUE = "analysis"


def warm_up_worker_process(consumed_queues: set[str]) -> bool:
    """A warm analysis parent in a Celery worker process that takes analysis jobs; whether one
    was started. Each process keeps its own parents (they belong to the process that started
    them), so a prefork worker warms each child as it starts."""
    if not settings.DESIGN_ANALYSIS_WORKER_PREWARM or ANALYSIS_QUEUE not in consumed_queues:
        return False
    from marketplace.designs.geometry import pool

    return pool.prewarm() is not None
