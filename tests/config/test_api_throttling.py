"""Anonymous API requests count against the anonymous rate even when authentication refuses
them, so a flood of requests without a token, or with guessed ones, ends in 429."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.helpers import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anon_rate(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "5/min")


def test_requests_without_a_token_end_in_429_past_the_anonymous_rate():
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [client.get("/api/v1/me/").status_code for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_guessed_tokens_end_in_429_with_the_one_error_body():
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.credentials(HTTP_AUTHORIZATION="Token guessed-token-value")
    responses = [client.get("/api/v1/me/") for _ in range(6)]
    assert [r.status_code for r in responses] == [401] * 5 + [429]
    error = error_of(responses[-1])
    assert error["code"] == "throttled"
    assert error["retry_after_s"] > 0
    assert "Retry-After" in responses[-1]


def test_a_forged_forwarded_address_does_not_reset_the_count():
    codes = [
        APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        .get("/api/v1/me/")
        .status_code
        for n in range(6)
    ]
    assert codes[-1] == 429


def test_a_signed_in_machine_on_the_same_address_is_not_held_off(customer_alice):
    for _ in range(6):
        APIClient(REMOTE_ADDR="203.0.113.9").get("/api/v1/me/")
    _, token = AuthToken.objects.create(user=customer_alice)
    machine = APIClient(REMOTE_ADDR="203.0.113.9")
    machine.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert machine.get("/api/v1/me/").status_code == 200
