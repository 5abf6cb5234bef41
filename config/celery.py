"""The Celery application; tasks live in each app's (or domain package's) `tasks.py`."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cloudfactory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # accounts.tasks, billing.tasks
# The marketplace keeps its tasks in its domain packages.
app.autodiscover_tasks(["marketplace.designs", "marketplace.orders", "marketplace.shopfloor"])
app.autodiscover_tasks(["accounts.webhooks"])

# What this worker consumes, noted before its pool forks so that every child knows it.
_consumed_queues: set[str] = set()


@celeryd_after_setup.connect
def _note_consumed_queues(sender, instance, **kwargs) -> None:
    queues = instance.app.amqp.queues
    _consumed_queues.update(queues.consume_from or queues)  # no -Q: every queue it knows


@worker_process_init.connect
def _warm_pool_child(**kwargs) -> None:
    """Sent in each prefork child as it starts, and once by a solo worker."""
    from config.warmup import warm_up_worker_process

    warm_up_worker_process(_consumed_queues)
