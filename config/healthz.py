"""What of `/healthz` loads with the site: the URL's view and the log filter.

The checks (`config.health`) import redis, dnspython and kombu through django-health-check,
a tenth of a second that every command and web process would pay at start-up; they load on
the first probe instead.
"""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # probes are read-only and carry no cookie: other methods get 405, not 403
async def healthz(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """`config.health.HealthView`, imported on the first probe."""
    from config.health import health_view

    return await health_view(request, *args, **kwargs)


class OneLinePerFailedCheck(logging.Filter):
    """A failed check logs one line, not a traceback: probes come every few seconds, and an
    outage would otherwise bury the log. Unexpected errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        # A check's exception exists only once the checks are loaded: no need to load them.
        exceptions = sys.modules.get("health_check.exceptions")
        if (
            exceptions is not None
            and record.exc_info
            and isinstance(record.exc_info[1], exceptions.HealthCheckException)
        ):
            record.msg = f"{record.msg}: %s"
            record.args = (*(record.args or ()), record.exc_info[1])
            record.exc_info = None
        return True
