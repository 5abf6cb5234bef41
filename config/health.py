"""`/healthz`: is every service this deployment depends on reachable?"""

import dataclasses
import datetime

from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu import Connection


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


class HealthView(HealthCheckView):
    """Answers 200 when every check passes and 503 (not 500) naming what failed."""

    checks = (Database, Cache, Broker)

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response
