"""Wrong second-factor codes are limited per account and per address, apart from the password
limits: a guesser holding the password cannot try every code, and the owner is held off only for
a short cool-off."""

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import second_factor_limits as limits
from tests.factories import PASSWORD, UserFactory
from tests.helpers import TEST_TOTP_SECRET, give_second_factor, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

IP = "203.0.113.9"
REFUSED = "Too many wrong codes"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(email: str):
    user = UserFactory(email=email)
    give_second_factor(user)
    return user


def _past_the_password(user, ip: str = IP) -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    return client


def _answer(client: Client, code: str, url: str = "mfa_authenticate"):
    return client.post(reverse(url), {"code": code})


def _signed_in(client: Client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def _wrong(client: Client, times: int, url: str = "mfa_authenticate") -> None:
    for _ in range(times):
        assert "Incorrect code" in _answer(client, "000000", url).content.decode()


def test_the_right_code_after_five_wrong_ones_is_refused_until_the_cool_off_ends():
    user = _user("owner@example.com")
    client = _past_the_password(user)
    _wrong(client, 5)
    refused = _answer(client, totp_code(TEST_TOTP_SECRET))
    assert refused.status_code == 200
    assert REFUSED in refused.content.decode()
    assert not _signed_in(client)

    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        client = _past_the_password(user)
        assert _answer(client, totp_code(TEST_TOTP_SECRET)).status_code == 302
        assert _signed_in(client)


def test_the_account_is_held_off_from_every_address():
    user = _user("owner@example.com")
    _wrong(_past_the_password(user, IP), 5)
    elsewhere = _past_the_password(user, "198.51.100.7")
    assert REFUSED in _answer(elsewhere, totp_code(TEST_TOTP_SECRET)).content.decode()
    assert not _signed_in(elsewhere)


def test_a_few_typos_are_forgiven_by_the_right_code():
    user = _user("owner@example.com")
    client = _past_the_password(user)
    _wrong(client, 4)
    assert _answer(client, totp_code(TEST_TOTP_SECRET)).status_code == 302
    client.post(reverse("account_logout"))
    # A code is taken once; the next one comes from the app's next 30-second step.
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        client = _past_the_password(user)
        _wrong(client, 4)
        assert _answer(client, totp_code(TEST_TOTP_SECRET)).status_code == 302
        assert _signed_in(client)


def test_one_address_guessing_at_many_accounts_is_held_off(settings):
    settings.SECOND_FACTOR_MAX_FAILURES_PER_IP = 8
    for n in range(2):
        _wrong(_past_the_password(_user(f"victim{n}@example.com")), 4)
    fresh_user = _user("fresh@example.com")
    fresh = _past_the_password(fresh_user)
    assert REFUSED in _answer(fresh, totp_code(TEST_TOTP_SECRET)).content.decode()
    assert not _signed_in(fresh)
    # The same account from another address is not held off.
    other = _past_the_password(fresh_user, "198.51.100.7")
    assert _answer(other, totp_code(TEST_TOTP_SECRET)).status_code == 302


def test_recovery_codes_count_and_are_refused_beyond_the_limit():
    user = _user("owner@example.com")
    codes = RecoveryCodes.activate(user).generate_codes()
    client = _past_the_password(user)
    _wrong(client, 5)
    assert REFUSED in _answer(client, codes[0]).content.decode()
    assert not _signed_in(client)


def test_answering_again_is_limited_too():
    user = _user("owner@example.com")
    client = Client(REMOTE_ADDR=IP)
    client.force_login(user)
    _wrong(client, 5, "mfa_reauthenticate")
    refused = _answer(client, totp_code(TEST_TOTP_SECRET), "mfa_reauthenticate")
    assert REFUSED in refused.content.decode()


def test_wrong_codes_do_not_count_against_the_password():
    """The second-factor count and the password limits are separate: wrong codes never make the
    right password fail."""
    user = _user("owner@example.com")
    _wrong(_past_the_password(user), 5)
    for _ in range(6):  # more sign-ins than any password limit allows failures
        _past_the_password(user)  # the right password still leads to the code step


def test_attempts_sent_in_parallel_cannot_pass_the_limit_together(settings):
    """Every attempt is counted before its code is checked, so a burst of requests that all
    arrive before any code was checked still gets only the limit's worth of checks."""
    request = RequestFactory().get("/", REMOTE_ADDR=IP)
    allowed = [limits.second_factor_attempt(request, 1) is None for _ in range(50)]
    assert allowed.count(True) == settings.SECOND_FACTOR_MAX_FAILURES_PER_ACCOUNT
    # The refused ones were given back: another account behind the address still has its turns.
    assert limits.second_factor_attempt(request, 2) is None


def test_an_owner_hammering_a_held_off_account_does_not_use_up_the_address(settings):
    settings.SECOND_FACTOR_MAX_FAILURES_PER_IP = 6
    owner = _past_the_password(_user("owner@example.com"))
    _wrong(owner, 5)
    for _ in range(10):
        assert REFUSED in _answer(owner, "000000").content.decode()
    colleague = _past_the_password(_user("colleague@example.com"))
    assert _answer(colleague, totp_code(TEST_TOTP_SECRET)).status_code == 302


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["wrong", "right", "wait"]), st.integers(0, 2)),
        max_size=40,
    ),
    per_account=st.integers(1, 6),
    per_ip=st.integers(1, 12),
)
def test_a_code_is_checked_only_while_both_counts_are_below_their_limits(
    settings, steps, per_account, per_ip
):
    """Model: per account and per address, the wrong codes since the window opened; refused and
    right attempts count for nothing; a right code clears the account's count; waiting past the
    window clears both."""
    from django.core.cache import cache

    cache.clear()
    settings.SECOND_FACTOR_MAX_FAILURES_PER_ACCOUNT = per_account
    settings.SECOND_FACTOR_MAX_FAILURES_PER_IP = per_ip
    request = RequestFactory().get("/", REMOTE_ADDR=IP)
    accounts: dict[int, int] = {}
    address = 0
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for action, account in steps:
            if action == "wait":
                clock.shift(timedelta(minutes=settings.SECOND_FACTOR_WINDOW_MINUTES, seconds=1))
                accounts, address = {}, 0
                continue
            refused = limits.second_factor_attempt(request, account) is not None
            expected = accounts.get(account, 0) >= per_account or address >= per_ip
            assert refused == expected
            if refused:
                continue
            if action == "wrong":
                accounts[account] = accounts.get(account, 0) + 1
                address += 1
            else:
                limits.second_factor_succeeded(request, account)
                accounts[account] = 0
