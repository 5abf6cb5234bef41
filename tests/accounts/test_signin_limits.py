"""Sign-in limits on the site's form and the admin: guessing is slowed per address, per account
and address, and per account from unknown browsers, and the owner is never locked out."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import signin
from tests.factories import PASSWORD, UserFactory
from tests.helpers import TEST_TOTP_SECRET, give_second_factor, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

EMAIL = "owner@example.com"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """These tests sign in dozens of times; the real hasher's cost is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner():
    return UserFactory(email=EMAIL)


def _browser(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def _sign_in(client: Client, password: str, email: str = EMAIL):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _signed_in(client: Client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def _guess(times: int, *, ips, email: str = EMAIL) -> None:
    for n in range(times):
        _sign_in(_browser(ips[n % len(ips)]), "wrong-guess", email)


def test_a_stranger_guessing_from_one_address_does_not_lock_the_owner_out(owner):
    _guess(12, ips=["203.0.113.9"])
    owner_browser = _browser("198.51.100.7")
    _sign_in(owner_browser, PASSWORD)
    assert _signed_in(owner_browser)


def test_one_address_is_held_off_after_five_wrong_passwords_even_with_the_right_one(owner):
    _guess(5, ips=["203.0.113.9"])
    attacker = _browser("203.0.113.9")
    response = _sign_in(attacker, PASSWORD)
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(attacker)


def test_a_few_typos_are_forgiven_by_signing_in(owner):
    owner_browser = _browser("198.51.100.7")
    for _ in range(4):
        _sign_in(owner_browser, "typo")
    _sign_in(owner_browser, PASSWORD)
    assert _signed_in(owner_browser)
    owner_browser.post(reverse("account_logout"))
    for _ in range(4):
        _sign_in(owner_browser, "typo")
    _sign_in(owner_browser, PASSWORD)
    assert _signed_in(owner_browser)


def test_one_address_guessing_at_many_accounts_is_held_off(settings, owner):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 8
    for n in range(8):
        _sign_in(_browser("203.0.113.9"), "wrong", f"someone{n}@example.com")
    attacker = _browser("203.0.113.9")
    _sign_in(attacker, PASSWORD)
    assert not _signed_in(attacker)


def test_many_addresses_guessing_at_one_account_hold_off_unknown_browsers_only(owner):
    owner_browser = _browser("198.51.100.7")
    _sign_in(owner_browser, PASSWORD)  # the owner's browser is now known
    owner_browser.post(reverse("account_logout"))
    _guess(20, ips=[f"203.0.113.{n}" for n in range(1, 11)])

    new_device = _browser("192.0.2.44")
    response = _sign_in(new_device, PASSWORD)
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(new_device)

    _sign_in(owner_browser, PASSWORD)
    assert _signed_in(owner_browser)


def test_a_password_reset_lifts_the_account_limit(client, owner):
    _guess(20, ips=[f"203.0.113.{n}" for n in range(1, 11)])
    resetting = _browser("192.0.2.44")
    resetting.post(reverse("account_reset_password"), {"email": EMAIL})
    link = re.search(r"http://\S+", mail.outbox[-1].body).group(0).replace("http://testserver", "")
    response = resetting.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new_password = "a-much-better-secret-42"
    resetting.post(form_url, {"password1": new_password, "password2": new_password})

    _sign_in(resetting, new_password)
    assert _signed_in(resetting)


def test_the_limits_cool_off_after_the_window(owner):
    _guess(5, ips=["203.0.113.9"])
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        attacker = _browser("203.0.113.9")
        _sign_in(attacker, PASSWORD)
        assert _signed_in(attacker)


def test_the_admin_sign_in_is_limited_too():
    """The admin has no password form of its own: it signs in through the site's, limits and
    all (tests/accounts/test_admin_login.py)."""
    give_second_factor(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    attacker = _browser("203.0.113.9")
    for _ in range(15):
        attacker.post("/admin/login/", {"username": "root@example.com", "password": "wrong"})
        _sign_in(attacker, "wrong", email="root@example.com")
    attacker.post("/admin/login/", {"username": "root@example.com", "password": PASSWORD})
    refused = _sign_in(attacker, PASSWORD, email="root@example.com")
    assert refused.status_code == 200  # the form again: limited, not asked for the factor
    assert attacker.get("/admin/").status_code == 302

    admin_browser = _browser("198.51.100.7")
    _sign_in(admin_browser, PASSWORD, email="root@example.com")
    admin_browser.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert admin_browser.get("/admin/").status_code == 200


def test_a_forwarded_address_is_believed_only_behind_a_trusted_proxy(settings, owner):
    """A client cannot dodge its address's limit by sending its own X-Forwarded-For."""
    for n in range(5):
        _sign_in(Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), "wrong")
    attacker = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.99")
    _sign_in(attacker, PASSWORD)
    assert not _signed_in(attacker)


# -- randomized: whatever strangers do, the limits hold and the owner's browser gets in -------
ATTEMPT = st.tuples(
    st.integers(min_value=0, max_value=5),  # stranger's address
    st.sampled_from(["owner@example.com", "other@example.com"]),
    st.booleans(),  # a browser that knows the other account (never the owner's)
)


def _request(ip: str, cookies: dict[str, str] | None = None):
    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.COOKIES.update(cookies or {})
    return request


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(attempts=st.lists(ATTEMPT, max_size=120))
def test_limits_hold_and_the_owners_known_browser_is_never_refused(attempts):
    from django.core.cache import cache
    from django.http import HttpResponse

    cache.clear()
    remembered = _request("198.51.100.7")
    remembered._signin_remember = EMAIL
    response = HttpResponse()
    signin.device_cookie_set(remembered, response)
    owner_cookie = {signin.DEVICE_COOKIE: response.cookies[signin.DEVICE_COOKIE].value}

    other = _request("192.0.2.1")
    other._signin_remember = "other@example.com"
    other_response = HttpResponse()
    signin.device_cookie_set(other, other_response)
    other_cookie = {signin.DEVICE_COOKIE: other_response.cookies[signin.DEVICE_COOKIE].value}

    per_ip: dict[int, int] = {}
    per_pair: dict[tuple[int, str], int] = {}
    per_account_unknown: dict[str, int] = {}
    for ip, login, knows_other in attempts:
        request = _request(f"203.0.113.{ip}", other_cookie if knows_other else None)
        if signin.signin_refusal(request, login):
            continue
        signin.signin_failed(request, login)
        per_ip[ip] = per_ip.get(ip, 0) + 1
        per_pair[ip, login] = per_pair.get((ip, login), 0) + 1
        if not (knows_other and login == "other@example.com"):
            per_account_unknown[login] = per_account_unknown.get(login, 0) + 1

    from django.conf import settings as conf

    assert max(per_ip.values(), default=0) <= conf.SIGNIN_MAX_FAILURES_PER_IP
    assert max(per_pair.values(), default=0) <= conf.SIGNIN_MAX_FAILURES_PER_ACCOUNT_AND_IP
    assert max(per_account_unknown.values(), default=0) <= conf.SIGNIN_MAX_FAILURES_PER_ACCOUNT
    assert signin.signin_refusal(_request("198.51.100.7", owner_cookie), EMAIL) is None
