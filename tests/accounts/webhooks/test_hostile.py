"""What a hostile partner or a careless one sends: odd ids and URLs, a receiver that trickles its
answer, a request that lies about its length. Each is a clear refusal or a bounded failure."""

import http.client
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Membership, Notification
from accounts.webhooks import transport
from accounts.webhooks.addresses import AddressRefused, check_literal
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from accounts.webhooks.services import delivery_attempt
from tests.accounts.webhooks.receiver import example_receiver_module, running_receiver
from tests.accounts.webhooks.story import emit_paid, endpoint_for
from tests.factories import MembershipFactory
from tests.helpers import api_client_for, error_of, organization_of

DELIVERIES = "/api/v1/webhook-deliveries/"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["99999999999999999999999", "-99999999999999999999999"])
def test_an_endpoint_filter_beyond_any_id_is_a_400_not_a_server_error(customer_alice, value):
    response = api_client_for(customer_alice).get(DELIVERIES, {"endpoint": value})
    assert response.status_code == 400
    assert "endpoint" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks with space",
        "https://erp.example.com/hooks\r\nX-Injected: 1",
        "https://erp.example.com/\thooks",
        "https://erp.example.com:0/hooks",
    ],
)
def test_a_url_no_request_could_be_sent_to_is_refused_when_saved(url):
    with pytest.raises(AddressRefused):
        check_literal(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost./",
        "http://127.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://017700000001/",
        "http://0/",
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 around the cloud metadata address
    ],
)
def test_a_private_address_in_another_spelling_is_refused_when_saved(url):
    with pytest.raises(AddressRefused):
        check_literal(url, allow_private=False)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.1/", "http://localhost./", "http://[2002:7f00:1::]/"])
def test_the_api_answers_such_a_url_with_a_400_and_saves_nothing(customer_alice, url):
    response = api_client_for(customer_alice).post(
        "/api/v1/webhook-endpoints/", {"url": url, "event_types": ["order.paid"]}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "url_refused"
    assert not WebhookEndpoint.objects.exists()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_url_is_either_accepted_or_refused_with_a_message(tail):
    """Whatever follows the scheme, saving never fails in any other way."""
    message = ""
    try:
        check_literal(f"https://{tail}", allow_private=False)
    except AddressRefused as error:
        message = str(error) or "(empty)"
    assert message != "(empty)"


@contextmanager
def trickling_receiver(*, interval: float):
    """Answers a status line, then one header byte every `interval` seconds, forever."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(5)
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.is_set():
                try:
                    connection.sendall(b"a")
                except OSError:
                    return
                time.sleep(interval)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    finally:
        stop.set()
        server.close()
        thread.join(5)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_total_time_limit():
    """A byte every 0.2 s never trips a per-read timeout; the whole attempt still ends."""
    with trickling_receiver(interval=0.2) as url:
        started = time.monotonic()
        outcome = transport.post(
            url=url,
            body=b"{}",
            headers={"Content-Type": "application/json"},
            allow_private=True,
            connect_timeout=1.0,
            total_timeout=1.0,
        )
        took = time.monotonic() - started
    assert took < 2.5, took
    assert not outcome.succeeded
    assert outcome.status_code is None
    assert outcome.error == "No answer within 1 s."


@contextmanager
def example_receiver(secret: str):
    example = example_receiver_module()
    server = ThreadingHTTPServer(("127.0.0.1", 0), example.make_handler(secret))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", ""])
def test_the_example_receiver_answers_a_lying_content_length_with_a_400_at_once(length):
    with example_receiver("whsec_test") as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        connection.putrequest("POST", "/")
        connection.putheader("Content-Length", length)
        connection.endheaders()
        connection.send(b"{}")
        response = connection.getresponse()
        assert response.status in (400, 411)
        assert response.read()
        connection.close()


@contextmanager
def receiver_that_waits(arrived: threading.Event, go: threading.Event):
    """Answers 200, but only once the test says so: the attempt is in flight until then."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived.set()
            go.wait(5)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_deleted_while_its_delivery_is_in_flight_ends_the_attempt_quietly(
    customer_alice, transactional_db, settings
):
    """The worker records nothing for a delivery that no longer exists, and does not crash."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    arrived, go = threading.Event(), threading.Event()
    outcome: dict = {}
    with receiver_that_waits(arrived, go) as url:
        endpoint = endpoint_for(customer_alice, url)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_in_flight",
            event_type="order.paid",
            api_version="2026-12-01",
            payload={"id": "evt_in_flight", "type": "order.paid"},
            next_attempt_at=timezone.now(),
        )

        def worker() -> None:
            try:
                outcome["result"] = delivery_attempt(delivery_id=delivery.pk)
            except Exception as error:  # what a Celery worker would log as a crash
                outcome["error"] = error
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        thread.start()
        assert arrived.wait(5)
        endpoint.delete()
        go.set()
        thread.join(10)
    assert "error" not in outcome, outcome
    assert not WebhookDelivery.objects.exists()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_an_organization_registers_at_most_the_endpoint_limit(customer_alice, settings):
    """Each endpoint multiplies every event (and a worker's time); past the limit, a 400."""
    settings.WEBHOOKS_MAX_ENDPOINTS = 3
    client = api_client_for(customer_alice)
    body = {"url": "https://erp.acme.example/hooks", "event_types": ["order.paid"]}
    for _ in range(3):
        assert client.post("/api/v1/webhook-endpoints/", body, format="json").status_code == 201
    response = client.post("/api/v1/webhook-endpoints/", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "endpoint_limit"
    assert "3" in error["message"]
    assert WebhookEndpoint.objects.count() == 3


@pytest.mark.django_db
def test_someone_who_left_the_organization_hears_nothing_of_its_endpoints(
    customer_alice, django_capture_on_commit_callbacks, settings
):
    """The creator of an endpoint is told when it is disabled only while still a member: the
    URL (its path may hold a token) is the organization's, not a former admin's."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    organization = organization_of(customer_alice)
    former = MembershipFactory(organization=organization, role=Membership.Role.ADMIN).user
    with (
        time_machine.travel(timezone.now(), tick=False) as clock,
        running_receiver(statuses=[500] * 50) as receiver,
    ):
        endpoint = endpoint_for(former, receiver.url)
        Membership.objects.filter(user=former, organization=organization).delete()
        for day in range(4):
            emit_paid(django_capture_on_commit_callbacks, [organization.pk], f"D{day}")
            clock.shift(timedelta(days=1, minutes=1))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    told = [m for m in mail.outbox if "disabled" in m.subject]
    assert [m.to for m in told] == [[customer_alice.email]]
    assert not Notification.objects.filter(user=former, kind="webhook.disabled").exists()
    assert Notification.objects.filter(user=customer_alice, kind="webhook.disabled").exists()
