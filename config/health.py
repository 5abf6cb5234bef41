"""`/healthz`: is every service this deployment depends on reachable? (Loaded on the first
probe by `config.healthz`: its libraries stay out of start-up.)

Load balancers, `curl`, browsers and monitoring all probe it, each with its own `Accept`
header (or none, or a malformed one): every one of them gets 200 or 503, never 406 or 500.
"""

import asyncio
import dataclasses
import datetime

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView, MediaType
from kombu import Connection

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
JSON_TYPES = frozenset({"application/json", "application/*"})


@dataclasses.dataclass
class Broker(HealthCheck):
    """Opens a connection to the Celery broker (Redis or RabbitMQ); eager mode has none."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        url = settings.CELERY_BROKER_URL
        if settings.CELERY_TASK_ALWAYS_EAGER or url.startswith("memory://"):
            return
        try:
            with Connection(url, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable("The task broker cannot be reached.") from exc


def preferred_format(accept: str) -> str:
    """`json`, `html` or `text` for an Accept header; anything unknown or malformed is text.

    `*/*` (curl, probes) gets text so that a terminal shows one readable line per service;
    a browser names text/html first and gets the page.
    """
    try:
        media_types = list(MediaType.parse_header((accept or "*/*").lower()))
    except ValueError:
        return "text"
    for media in media_types:
        if media.weight <= 0:
            continue
        if media.mime_type in HTML_TYPES:
            return "html"
        if media.mime_type in JSON_TYPES:
            return "json"
        if media.mime_type in ("text/plain", "text/*", "*/*"):
            return "text"
    return "text"


def _asked_format(request) -> str | None:
    """``?format=``, read without failing: a query of thousands of fields is still a probe."""
    try:
        return request.GET.get("format")
    except TooManyFieldsSent:
        return None


class HealthView(HealthCheckView):
    """Answers 200 when every check passes and 503 (not 500) naming what failed."""

    checks = (Database, Cache, Broker)
    template_name = "health.html"

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        status = 503 if any(result.error for result in self.results) else 200
        match _asked_format(request) or preferred_format(request.headers.get("accept", "")):
            case "json":
                return self.render_to_response_json(status)
            case "html":
                return self.render_to_response(self.get_context_data(**kwargs), status=status)
            case "atom":
                return self.render_to_response_atom()
            case "rss":
                return self.render_to_response_rss()
            case "openmetrics":
                return self.render_to_response_openmetrics()
            case _:
                return self.render_to_response_text(status)


# Built on the first probe, when `config.healthz` first imports this module.
health_view = HealthView.as_view()
