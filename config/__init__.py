"""Project configuration: settings, URLs, ASGI/WSGI entry points and the Celery app."""

# Importing the Celery app here makes `.delay()` honour eager mode and the configured broker.
from config.celery import app as celery_app

__all__ = ["celery_app"]
