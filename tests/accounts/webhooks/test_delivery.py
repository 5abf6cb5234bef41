"""Deliveries against a real HTTP receiver on 127.0.0.1 (allowed in these tests only)."""

import json
import threading
import time
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.webhooks import services
from accounts.webhooks.events import envelope
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from accounts.webhooks.tasks import webhook_deliver_task
from tests.accounts.webhooks.receiver import example_receiver_module, running_receiver
from tests.accounts.webhooks.story import (
    emit_paid,
    endpoint_for,
    fresh,
    run_due,
    seconds_until_next,
)
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_TOTAL_TIMEOUT = 2.0


def test_an_event_arrives_signed_and_the_example_receiver_verifies_it(
    customer_alice, django_capture_on_commit_callbacks
):
    example = example_receiver_module()
    with running_receiver() as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])

    [request] = receiver.requests
    assert request.path == "/hooks/cloud-factory"
    header = request.headers["Cloud-Factory-Signature"]
    assert example.verify_signature(header, request.body, endpoint.secret) > 0
    with pytest.raises(example.InvalidSignature):
        example.verify_signature(header, request.body + b" ", endpoint.secret)
    event = json.loads(request.body)
    assert event["type"] == "order.paid"
    assert event["api_version"] == "2026-12-01"
    assert event["organization"] == endpoint.organization_id
    assert event["data"] == {"order": {"reference": "CF-2026-00001"}}
    assert request.headers["Cloud-Factory-Event-Id"] == event["id"]
    delivery = fresh(pk)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.last_status_code == 200
    assert delivery.attempts == 1
    assert delivery.event_id == event["id"]


def test_a_500_is_retried_on_the_back_off_schedule_until_it_is_accepted(
    customer_alice, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(timezone.now(), tick=False) as clock,
        running_receiver(statuses=[500, 500, 503, 500]) as receiver,
    ):
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
        for expected in (60, 300, 1800, 7200):
            delivery = fresh(pk)
            assert delivery.status == WebhookDelivery.Status.PENDING
            assert delivery.last_status_code in (500, 503)
            assert 0.9 * expected <= seconds_until_next(delivery) <= 1.1 * expected
            clock.move_to(delivery.next_attempt_at - timedelta(seconds=1))
            assert run_due() == 0  # not due yet: nothing is sent early
            clock.move_to(delivery.next_attempt_at)
            assert run_due() == 1
        assert len(receiver.requests) == 5
    delivery = fresh(pk)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 5
    ids = {json.loads(r.body)["id"] for r in receiver.requests}
    assert ids == {delivery.event_id}  # the same event each time, for the receiver to dedupe


def test_a_timeout_is_a_failure_retried_a_minute_later(
    customer_alice, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_TOTAL_TIMEOUT = 0.5
    with (
        time_machine.travel(timezone.now(), tick=False) as clock,
        running_receiver(delay=1.5) as receiver,
    ):
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
        delivery = fresh(pk)
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.last_status_code is None
        assert "No answer within 0.5 s" in delivery.last_error
        assert delivery.last_duration_ms < 1400
        assert 54 <= seconds_until_next(delivery) <= 66
        receiver.delay = 0
        clock.move_to(delivery.next_attempt_at)
        run_due()
    assert fresh(pk).status == WebhookDelivery.Status.DELIVERED


def test_after_eight_failures_the_delivery_fails_and_is_not_sent_again(
    customer_alice, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(timezone.now(), tick=False) as clock,
        running_receiver(statuses=[500] * 20) as receiver,
    ):
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
        while fresh(pk).status == WebhookDelivery.Status.PENDING:
            clock.move_to(fresh(pk).next_attempt_at)
            run_due()
        clock.shift(timedelta(days=2))
        run_due()
        assert len(receiver.requests) == 8
    assert fresh(pk).status == WebhookDelivery.Status.FAILED


def test_an_organization_receives_only_its_own_events(
    customer_alice, workshop_bob, django_capture_on_commit_callbacks
):
    with running_receiver() as alices, running_receiver() as bobs:
        endpoint_for(customer_alice, alices.url)
        endpoint_for(workshop_bob, bobs.url)
        acme = organization_of(customer_alice)
        emit_paid(django_capture_on_commit_callbacks, [acme.pk])
    assert len(alices.requests) == 1
    assert json.loads(alices.requests[0].body)["organization"] == acme.pk
    assert bobs.requests == []


def test_an_endpoint_gets_only_the_event_types_it_chose(
    customer_alice, django_capture_on_commit_callbacks
):
    with running_receiver() as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url, event_types=["order.cancelled"])
        assert emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id]) == []
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_does_not_delay_another_endpoints_delivery(
    customer_alice, workshop_bob, settings
):
    """Each delivery is its own task: with two worker slots, the fast one is done at once."""
    settings.WEBHOOKS_TOTAL_TIMEOUT = 5.0
    with running_receiver(delay=3.0) as slow, running_receiver() as fast:
        slow_pk = _queued(endpoint_for(customer_alice, slow.url))
        fast_pk = _queued(endpoint_for(workshop_bob, fast.url))
        finished: dict[int, float] = {}
        started = time.monotonic()

        def work(pk: int) -> None:
            webhook_deliver_task.apply(args=[pk])
            finished[pk] = time.monotonic() - started

        threads = [threading.Thread(target=work, args=(pk,)) for pk in (slow_pk, fast_pk)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert finished[fast_pk] < 1.5
    assert finished[slow_pk] >= 3.0
    assert fresh(fast_pk).status == WebhookDelivery.Status.DELIVERED
    assert fresh(slow_pk).status == WebhookDelivery.Status.DELIVERED


def _queued(endpoint: WebhookEndpoint) -> int:
    """An outbox row as `webhook_emit` writes it, left for a worker to pick up."""
    payload = envelope(
        event_type="order.paid",
        organization_id=endpoint.organization_id,
        data={},
        at=timezone.now(),
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=payload["id"],
        event_type="order.paid",
        api_version=payload["api_version"],
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    return delivery.pk


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_owner_emailed(
    customer_alice, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(timezone.now(), tick=False) as clock,
        running_receiver(statuses=[500] * 50) as receiver,
    ):
        endpoint = endpoint_for(customer_alice, receiver.url)
        for day in range(4):
            emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id], f"D{day}")
            endpoint.refresh_from_db()
            assert endpoint.is_active is (day < 3)
            clock.shift(timedelta(days=1, minutes=1))
        sent = len(receiver.requests)
        assert emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id]) == []
        with django_capture_on_commit_callbacks(execute=True):
            run_due()
        assert len(receiver.requests) == sent  # nothing more goes to a disabled endpoint
    endpoint.refresh_from_db()
    assert "Every delivery failed" in endpoint.disabled_reason
    [message] = [m for m in mail.outbox if "disabled" in m.subject]
    assert message.to == [customer_alice.email]
    assert not endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).exists()


def test_send_again_delivers_the_same_event_once_more(
    customer_alice, django_capture_on_commit_callbacks
):
    with running_receiver() as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
        with django_capture_on_commit_callbacks(execute=True):
            again = services.delivery_redeliver(user=customer_alice, delivery=fresh(pk))
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert first == second
    assert fresh(again.pk).status == WebhookDelivery.Status.DELIVERED
    assert fresh(again.pk).is_manual


def test_after_a_rotation_both_secrets_verify_for_a_day(
    customer_alice, django_capture_on_commit_callbacks
):
    example = example_receiver_module()
    with running_receiver() as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url)
        old = endpoint.secret
        endpoint = services.endpoint_rotate_secret(user=customer_alice, endpoint=endpoint)
        emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
        with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
            emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
    fresh_request, late_request = receiver.requests
    for secret in (old, endpoint.secret):
        header = fresh_request.headers["Cloud-Factory-Signature"]
        example.verify_signature(header, fresh_request.body, secret)
    late_header = late_request.headers["Cloud-Factory-Signature"]
    example.verify_signature(late_header, late_request.body, endpoint.secret, now=_t(late_header))
    with pytest.raises(example.InvalidSignature):
        example.verify_signature(late_header, late_request.body, old, now=_t(late_header))


def _t(header: str) -> int:
    return int(header.split(",")[0].removeprefix("t="))


@pytest.mark.parametrize(("knows_the_secret", "expected"), [(True, 200), (False, 400)])
def test_the_example_receiver_itself_accepts_only_correctly_signed_deliveries(
    customer_alice, django_capture_on_commit_callbacks, knows_the_secret, expected
):
    example = example_receiver_module()
    endpoint = endpoint_for(customer_alice, "http://127.0.0.1:1/")
    secret = endpoint.secret if knows_the_secret else "whsec_someone-elses"
    server = ThreadingHTTPServer(("127.0.0.1", 0), example.make_handler(secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/"
        endpoint.save(update_fields=["url"])
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
    finally:
        server.shutdown()
        server.server_close()
    assert fresh(pk).last_status_code == expected
