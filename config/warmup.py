"""What a web process starts in the background once it is ready to serve."""

from __future__ import annotations

from django.conf import settings


def warm_up_web_process() -> None:
    """A warm analysis parent, where uploads are analysed in the web process itself."""
    if settings.DESIGN_ANALYSIS_PREWARM:
        from marketplace.designs.geometry import pool

        pool.prewarm()
