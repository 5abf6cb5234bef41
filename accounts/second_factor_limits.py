"""Limits on wrong second-factor codes (authenticator app and recovery codes).

allauth counts wrong codes with its "login_failed" limit, which the project switches off to drop
allauth's password lockout (the project's own sign-in limits live in `accounts.signin`). Without
a count of their own, someone holding the password could try every six-digit code. So wrong codes
are counted here, apart from passwords:

- per account: whoever reaches this step already knows the password, so holding off the account's
  second factor for a short cool-off costs the owner minutes and the guesser the whole game;
- per client address: one address guessing at the second factor of many accounts.

Each attempt is counted before its code is checked; a refused or right one is given back, so the
counts hold wrong codes. They live in the cache for `SECOND_FACTOR_WINDOW_MINUTES` from the first
attempt (the cool-off); a right code also clears the account's count (the owner's typos are
forgiven), not the address's.
"""

from __future__ import annotations

import contextlib

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


def _take(key: str, window: int) -> int:
    """Adds one to a count atomically in the cache; a new count lives `window` seconds."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        cache.decr(key)


def second_factor_attempt(request: HttpRequest, user_pk: object) -> str | None:
    """Takes one attempt from the account's and the address's counts before the code is checked,
    and says why it is refused (None: check the code). Counting first, with the cache's atomic
    increment, keeps requests sent in parallel from all passing a check made before any counted.
    A refused attempt is given back: it checked nothing, so it must not use up the address's
    count for the other accounts behind it."""
    window = settings.SECOND_FACTOR_WINDOW_MINUTES * 60
    keys, limits = _keys(request, user_pk), _limits()
    counts = {name: _take(key, window) for name, key in keys.items()}
    if all(counts[name] <= limits[name] for name in keys):
        return None
    for key in keys.values():
        _give_back(key)
    return REFUSAL.format(minutes=settings.SECOND_FACTOR_WINDOW_MINUTES)


def second_factor_succeeded(request: HttpRequest, user_pk: object) -> None:
    """A right code is no guess: the account's wrong codes are forgiven and the address gets its
    attempt back (its wrong codes stay counted)."""
    keys = _keys(request, user_pk)
    cache.delete(keys["account"])
    _give_back(keys["ip"])
