"""Plain helpers shared by the suites: not tests, not fixtures (those live in conftest.py).

Test modules import from here (and from tests.factories), never from one another or from a
conftest.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services as billing
from billing.models import Payment
from billing.money import Money
from marketplace.network.models import Finish, Material
from marketplace.orders.quotes import LineSpec, ShipTo, quote_request_create
from marketplace.orders.services import order_place
from tests.factories.designs import bracket_and_gear

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# -- real services ----------------------------------------------------------------------------
def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require_service(name: str, url: str | None, default_port: int) -> str:
    """The service's URL; a missing one skips the test locally and fails it in CI."""
    if url and _reachable(url, default_port):
        return url
    message = f"{name} is not configured or not reachable ({url or 'no URL set'})"
    if IN_CI:
        pytest.fail(f"{message}: CI must run this suite against the real service.")
    pytest.skip(message)


# -- who belongs where ------------------------------------------------------------------------
def organization_of(user):
    """The one organization a persona belongs to."""
    return user.memberships.get().organization


def workshop_of(user):
    """The workshop of a persona's one (workshop) organization."""
    return organization_of(user).workshop


# -- time -------------------------------------------------------------------------------------
def next_monday() -> datetime:
    """Midnight UTC of next week's Monday: always in the future, whatever day the suite runs."""
    today = timezone.now().date()
    return datetime.combine(today + timedelta(days=7 - today.weekday()), time.min, tzinfo=UTC)


# Taken once per process, so that a run crossing midnight on Sunday stays on one week.
MONDAY = next_monday()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`day` days and `hour`:`minute` after MONDAY (day 0 is that Monday)."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


# -- the API ----------------------------------------------------------------------------------
def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def error_of(response) -> dict:
    """The `error` object of an API error body, which must hold nothing else."""
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def ids(response) -> set[int]:
    """The ids of a successful paginated list response."""
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


# -- orders on the small network (tests/factories/network.py) ---------------------------------
MUNICH = ShipTo("Goods in", "Main street 1", "Munich", "DE", 48.1351, 11.5820)
# Across the border from the German platform: where goods go decides their VAT.
EINDHOVEN = ShipTo("Goods in", "Kanaalstraat 1", "Eindhoven", "NL", 51.4416, 5.4697)


def quote_bracket_and_gear(customer, quantity: int = 2, ship_to: ShipTo = MUNICH):
    """A quote through the real matcher for a bracket and a gear of `customer`'s organization,
    in anodized aluminium 6061, shipped to Munich (or ``ship_to``)."""
    organization = organization_of(customer)
    aluminium = Material.objects.get(code="al-6061")
    anodized = Finish.objects.get(code="anodized")
    lines = [
        LineSpec(revision=r, material=aluminium, finish=anodized, quantity=quantity)
        for r in bracket_and_gear(organization)
    ]
    return quote_request_create(
        user=customer, organization=organization, lines=lines, ship_to=ship_to
    )


def place_quoted_order(customer, ship_to: ShipTo = MUNICH):
    """The customer's order of the best option of a fresh bracket-and-gear quote."""
    quote = quote_bracket_and_gear(customer, ship_to=ship_to)
    return order_place(user=customer, option=quote.options.first())


def pay_manually(order, operator, capture):
    """An operator confirms the full manual payment of `order`, running the on-commit work;
    `order` is refreshed and its payment returned."""
    payment = Payment.objects.get(order_id=order.pk)
    with capture(execute=True):
        billing.payment_confirm_manual(
            operator=operator, payment=payment, amount=Money(payment.amount_minor, payment.currency)
        )
    order.refresh_from_db()
    return payment


def legs_ready_to_leave(order, job) -> list:
    """The planned legs that carry `job`'s part away from its workshop, once that workshop has
    no unfinished step of the part left."""
    open_steps = order.jobs.filter(job_key=job.job_key, workshop_id=job.workshop_id).exclude(
        status__in=["done", "declined", "superseded", "cancelled"]
    )
    if open_steps.exists():
        return []
    return list(
        order.shipments.filter(status="planned", origin_id=job.workshop_id, job_key=job.job_key)
    )


# -- purity -----------------------------------------------------------------------------------
def imported_django_modules(*modules: str) -> subprocess.CompletedProcess:
    """Imports `modules` in a fresh interpreter; exits 1 and prints them if Django came along."""
    code = (
        f"import sys, {', '.join(modules)}\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(bad)\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


# -- second factors ---------------------------------------------------------------------------
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32; a test account's authenticator app


def give_second_factor(user, secret: str = TEST_TOTP_SECRET) -> str:
    """Sets up an authenticator app for the user, as operators must have; returns its secret."""
    from accounts.second_factor import totp_authenticator_set

    totp_authenticator_set(user=user, secret=secret)
    return secret


def admin_sign_in(client, user) -> None:
    """Signs a staff user in as the admin asks: a second factor, answered in this session."""
    from accounts.second_factor import ANSWER_URL

    client.force_login(user)
    answered = client.post(ANSWER_URL, {"code": totp_code(give_second_factor(user))})
    assert answered.status_code == 302, "the second factor was not taken"


def totp_code(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows now (RFC 6238, HMAC-SHA1), computed here on its own
    so that the tests check allauth's verification rather than reuse it."""
    import base64
    import hashlib
    import hmac
    import struct
    import time as clock

    counter = int((clock.time() if at is None else at) // step)
    key = base64.b32decode(secret, casefold=True)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"
