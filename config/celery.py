"""The Celery application; tasks live in each app's (or domain package's) `tasks.py`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cloudfactory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # accounts.tasks, billing.tasks
# The marketplace keeps its tasks in its domain packages.
app.autodiscover_tasks(["marketplace.designs", "marketplace.orders", "marketplace.shopfloor"])
