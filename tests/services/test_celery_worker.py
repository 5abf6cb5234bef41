"""Celery through a real broker and a real worker: Redis and RabbitMQ."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from accounts import services
from config.celery import app as celery_app

INVITATION_TASK = "accounts.tasks.invitation_send_task"

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _reset_connections() -> None:
    """Drop pooled broker connections so the next task uses the newly configured broker."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(params=["redis", "amqp"])
def broker(request, settings):
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    keys = ("broker_url", "result_backend", "task_always_eager", "task_routes")
    previous = {key: celery_app.conf[key] for key in keys}
    # A queue of this test's own: no other consumer on the shared broker (another test
    # process, a developer's worker) can take the message.
    queue = f"test-{uuid.uuid4().hex}"
    celery_app.conf.update(
        broker_url=url,
        result_backend=request.getfixturevalue("redis_url"),
        task_always_eager=False,
        task_routes={**(previous["task_routes"] or {}), INVITATION_TASK: {"queue": queue}},
    )
    _reset_connections()
    try:
        with start_worker(
            celery_app,
            queues=[queue],
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ):
            yield url
    finally:
        celery_app.conf.update(previous)
        _reset_connections()


def test_an_invitation_is_mailed_by_a_worker_through_the_broker(broker, customer_alice):
    """The service enqueues on commit; the worker thread, not this one, sends the mail."""
    organization = customer_alice.memberships.get().organization
    mail.outbox = []
    invitation = services.invitation_create(
        user=customer_alice, organization=organization, email="dave@example.com", role="member"
    )
    deadline = time.monotonic() + 60  # seconds: a busy CI machine starts the worker late
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.to for m in mail.outbox] == [["dave@example.com"]]
    assert invitation.token in mail.outbox[0].body
