"""A production configuration sends nothing to private, loopback, link-local or reserved
addresses, by literal or by a name resolving to them, and connects to the address it checked."""

import os
import socket
import subprocess
import sys

import pytest

from accounts.webhooks import services
from accounts.webhooks.addresses import AddressRefused, check_literal, is_public, resolve
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.accounts.webhooks.receiver import running_receiver
from tests.accounts.webhooks.story import emit_paid, endpoint_for, fresh
from tests.helpers import ROOT, organization_of

pytestmark = pytest.mark.django_db

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",
    "::1",
    "192.168.0.1",
    "172.16.5.4",
    "0.0.0.0",
]
PRIVATE += ["fe80::1", "fc00::1", "224.0.0.1", "100.64.0.1", "::ffff:127.0.0.1", "240.0.0.1"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_reserved_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_public(address):
    assert is_public(address)


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-production-secret-that-is-long-enough-and-random-xY7#pQ2!vL9@kM4$zR8",
    "DATABASE_URL": "postgres://cloudfactory@127.0.0.1:5432/cloudfactory",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "factory.example.com",
}


def test_production_mode_refuses_private_addresses_by_default():
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    clean = {k: v for k, v in clean.items() if not k.startswith(("WEBHOOKS_", "CELERY_"))}
    code = "from django.conf import settings as s; print(s.DEBUG, s.WEBHOOKS_ALLOW_PRIVATE)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


def _stored_endpoint(user, url: str) -> WebhookEndpoint:
    """Stored as a name that resolved elsewhere when it was saved would be."""
    return WebhookEndpoint.objects.create(
        organization=organization_of(user),
        url=url,
        event_types=["order.paid"],
        created_by=user,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "[::1]", "localhost"])
def test_a_production_configuration_sends_nothing_to_a_private_address(
    host, customer_alice, django_capture_on_commit_callbacks
):
    with running_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        endpoint = _stored_endpoint(customer_alice, url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
    assert receiver.requests == []
    delivery = fresh(pk)
    assert delivery.last_status_code is None
    assert "private or reserved address" in delivery.last_error
    assert delivery.status == WebhookDelivery.Status.PENDING  # retried: DNS may change


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"erp.partner.test": ["10.9.8.7"]}))
    with pytest.raises(AddressRefused, match=r"10\.9\.8\.7"):
        resolve("https://erp.partner.test/hooks", allow_private=False)


def test_a_name_with_any_private_address_among_public_ones_is_refused(monkeypatch):
    answers = {"erp.partner.test": ["93.184.216.34", "127.0.0.1"]}
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(answers))
    with pytest.raises(AddressRefused):
        resolve("https://erp.partner.test/hooks", allow_private=False)


def test_the_request_goes_to_the_address_checked_not_to_a_second_answer(
    customer_alice, django_capture_on_commit_callbacks, settings, monkeypatch
):
    """DNS rebinding: the name is resolved once; the connection uses that address, the Host
    header keeps the name, and a second lookup (which would answer elsewhere) never happens."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    lookups = []
    real = socket.getaddrinfo

    def once(host, port, *args, **kwargs):
        lookups.append(host)
        if host != "erp.partner.test":
            return real(host, port, *args, **kwargs)  # the numeric address connected to
        if lookups.count(host) == 1:
            return real("127.0.0.1", port, *args, **kwargs)
        raise socket.gaierror("a second lookup of the name must not happen")

    monkeypatch.setattr(socket, "getaddrinfo", once)
    with running_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "erp.partner.test")
        endpoint = endpoint_for(customer_alice, url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
    assert lookups == ["erp.partner.test", "127.0.0.1"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"erp.partner.test:{receiver.port}"
    assert fresh(pk).status == WebhookDelivery.Status.DELIVERED


def test_a_redirect_is_not_followed(customer_alice, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with running_receiver(statuses=[302]) as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url)
        [pk] = emit_paid(django_capture_on_commit_callbacks, [endpoint.organization_id])
    assert len(receiver.requests) == 1
    delivery = fresh(pk)
    assert delivery.last_status_code == 302
    assert delivery.status == WebhookDelivery.Status.PENDING


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/",
        "http://localhost:8000/",
        "ftp://erp.example.com/",
        "https://user:pw@erp.example.com/",
        "not a url",
        "https://erp.example.com:99999/",
    ],
)
def test_an_endpoint_with_a_refused_url_is_not_saved(url, customer_alice):
    with pytest.raises(services.WebhookInvalid):
        endpoint_for(customer_alice, url)
    with pytest.raises(AddressRefused):
        check_literal(url, allow_private=False)
    assert not WebhookEndpoint.objects.exists()


def _resolver(answers: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(f"unknown host {host}")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    return getaddrinfo
