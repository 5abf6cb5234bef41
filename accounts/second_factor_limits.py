"""Limits on wrong second-factor codes (authenticator app and recovery codes).

allauth counts wrong codes with its "login_failed" limit, which the project switches off to drop
allauth's password lockout (the project's own sign-in limits live in `accounts.signin`). Without
a count of their own, someone holding the password could try every six-digit code. So wrong codes
are counted here, apart from passwords:

- per account: whoever reaches this step already knows the password, so holding off the account's
  second factor for a short cool-off costs the owner minutes and the guesser the whole game;
- per client address: one address guessing at the second factor of many accounts.

Counts live in the cache for `SECOND_FACTOR_WINDOW_MINUTES` from the first wrong code; a right
code clears the account's count (the owner's typos are forgiven), not the address's.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.signin import client_ip

REFUSAL = "Too many wrong codes. Wait {minutes} minutes, then enter a new code."


def _keys(request: HttpRequest, user_pk: object) -> dict[str, str]:
    return {
        "account": f"second-factor:account:{user_pk}",
        "ip": f"second-factor:ip:{client_ip(request)}",
    }


def _limits() -> dict[str, int]:
    return {
        "account": settings.SECOND_FACTOR_MAX_FAILURES_PER_ACCOUNT,
        "ip": settings.SECOND_FACTOR_MAX_FAILURES_PER_IP,
    }


def second_factor_refusal(request: HttpRequest, user_pk: object) -> str | None:
    """Why a code is refused before it is checked, or None."""
    keys, limits = _keys(request, user_pk), _limits()
    counts = cache.get_many(list(keys.values()))
    if any(counts.get(key, 0) >= limits[name] for name, key in keys.items()):
        return REFUSAL.format(minutes=settings.SECOND_FACTOR_WINDOW_MINUTES)
    return None


def second_factor_failed(request: HttpRequest, user_pk: object) -> None:
    """Counts a wrong code against the account and the address, from the first one's time."""
    window = settings.SECOND_FACTOR_WINDOW_MINUTES * 60
    for key in _keys(request, user_pk).values():
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def second_factor_succeeded(request: HttpRequest, user_pk: object) -> None:
    """Forgives the account's wrong codes; the address keeps its count."""
    cache.delete(_keys(request, user_pk)["account"])
