"""Sign-in limits: slow password guessing on every sign-in without letting a stranger lock the
owner out of their account.

Every sign-in (the site's form, the admin, anything that calls `authenticate()`) passes
`SignInLimitBackend` first (Django's model backend with the limits in front), which refuses
when one of three counts of recent failures is full:

- per client address: one address guessing at many accounts;
- per account and address: one address guessing at one account;
- per account, from devices that never signed in to it: many addresses guessing at one account.
  A browser that has signed in to the account before carries a signed cookie naming it and is
  not refused by this count, so the owner keeps signing in while strangers are held off.

Counts live in the cache for `SIGNIN_WINDOW_MINUTES` from the first failure (the cool-off); a
successful password reset lifts the account's counts (the owner proved they hold the mailbox).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE = "cf_device"
DEVICE_SALT = "accounts.signin.device"
DEVICE_ACCOUNTS_KEPT = 5  # accounts one browser is remembered for
REFUSAL = (
    "Too many failed sign-ins. Try again in {minutes} minutes, or reset your password to "
    "sign in now."
)


def login_of(credentials: dict[str, Any]) -> str:
    """The account a sign-in names, as the limits key it (e-mail logins, any case)."""
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as ALLAUTH_TRUSTED_PROXY_COUNT
    proxies (the same reading allauth's own limits use)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def _digest(login: str) -> str:
    return hashlib.sha256(login.encode()).hexdigest()[:32]


def _window_seconds() -> int:
    return settings.SIGNIN_WINDOW_MINUTES * 60


def _generation(login: str) -> int:
    """Bumped when the account's limits are lifted, which retires all its per-address counts."""
    return cache.get(f"signin:gen:{_digest(login)}", 0)


def _keys(request: HttpRequest, login: str) -> dict[str, str]:
    ip = client_ip(request)
    account = _digest(login)
    return {
        "ip": f"signin:ip:{ip}",
        "pair": f"signin:pair:{_generation(login)}:{account}:{ip}",
        "account": f"signin:account:{_generation(login)}:{account}",
    }


def _limits() -> dict[str, int]:
    return {
        "ip": settings.SIGNIN_MAX_FAILURES_PER_IP,
        "pair": settings.SIGNIN_MAX_FAILURES_PER_ACCOUNT_AND_IP,
        "account": settings.SIGNIN_MAX_FAILURES_PER_ACCOUNT,
    }


# -- devices that signed in before --------------------------------------------------------
def _device_accounts(request: HttpRequest) -> list[str]:
    try:
        value = signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""),
            salt=DEVICE_SALT,
            max_age=settings.SIGNIN_DEVICE_DAYS * 86400,
        )
    except signing.BadSignature:
        return []
    return [str(a) for a in value] if isinstance(value, list) else []


def device_is_known(request: HttpRequest, login: str) -> bool:
    return _digest(login) in _device_accounts(request)


def device_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    """Remembers on the browser the account that just signed in (see `SignInDeviceMiddleware`)."""
    login = getattr(request, "_signin_remember", None)
    if not login:
        return
    accounts = [a for a in _device_accounts(request) if a != _digest(login)]
    accounts = [*accounts, _digest(login)][-DEVICE_ACCOUNTS_KEPT:]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(accounts, salt=DEVICE_SALT),
        max_age=settings.SIGNIN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# -- the limits ----------------------------------------------------------------------------
def signin_refusal(request: HttpRequest, login: str) -> str | None:
    """Why this sign-in is refused before its password is checked, or None."""
    keys, limits = _keys(request, login), _limits()
    counts = cache.get_many(list(keys.values()))
    full = {name for name, key in keys.items() if counts.get(key, 0) >= limits[name]}
    if device_is_known(request, login):
        full.discard("account")
    if not full:
        return None
    return REFUSAL.format(minutes=settings.SIGNIN_WINDOW_MINUTES)


def signin_failed(request: HttpRequest, login: str) -> None:
    """Counts a wrong password against the address, the pair, and (from an unknown device)
    the account."""
    keys = _keys(request, login)
    if device_is_known(request, login):
        del keys["account"]
    for key in keys.values():
        cache.add(key, 0, timeout=_window_seconds())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_window_seconds())


def signin_limits_lift(*, login: str) -> None:
    """Clears an account's counts, from every address; the address counts stay."""
    key = f"signin:gen:{_digest(login)}"
    cache.set(key, _generation(login) + 1, timeout=None)


class SignInLimitBackend(ModelBackend):
    """Django's model backend with the limits in front: a refusal (PermissionDenied) ends
    `authenticate()` before any backend checks the password. First in AUTHENTICATION_BACKENDS,
    so it is also the backend sessions and `force_login` record."""

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        login = login_of({"username": username, **kwargs})
        if request is not None and login:
            refusal = signin_refusal(request, login)
            if refusal:
                request._signin_refused = True
                raise PermissionDenied(refusal)
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="accounts.signin.failed")
def _count_failure(sender, credentials: dict[str, Any], request: HttpRequest | None = None, **kw):
    login = login_of(credentials)
    if request is None or not login or getattr(request, "_signin_refused", False):
        return  # a refused attempt is not a guess: the password was never checked
    signin_failed(request, login)


@receiver(user_logged_in, dispatch_uid="accounts.signin.succeeded")
def _remember_device(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Marks the browser as one the owner signs in from, and forgives the address's typos."""
    if request is None or not getattr(user, "email", ""):
        return
    login = user.email.lower()
    request._signin_remember = login
    cache.delete(_keys(request, login)["pair"])


def _lift_on_password_reset(sender, request: HttpRequest, user, **kwargs) -> None:
    signin_limits_lift(login=user.email.lower())


def connect_password_reset() -> None:
    from allauth.account.signals import password_reset

    password_reset.connect(_lift_on_password_reset, dispatch_uid="accounts.signin.reset")
