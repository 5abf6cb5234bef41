"""Who must have a second factor (allauth's MFA) before reaching what.

A stolen password must not be enough to run the platform or to redirect money, so:

- operators (members of the platform organization) reach nothing but their account pages until
  they have set up a second factor (an authenticator app or a security key / passkey);
- owners and admins of the organizations that are paid (workshops, carriers) need one before
  they reach bank details or payout set-up.

Once a second factor is set up, allauth asks for it at every password sign-in. The same rule
serves the web (`SecondFactorMiddleware` sends the person to set one up) and the API (the
authentication classes answer 403 with the reason), so it lives here once.

Having a factor is not enough where an operator holds the keys to everything (the Django admin,
the live channel): there the session itself must have answered it, so a session opened some
other way (a login without the challenge, a stolen cookie of a half-finished sign-in) does not
reach them. The admin asks it of every staff user, operator or not: a superuser of no
organization holds the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings

from accounts.models import Membership, Organization, User
from accounts.selectors import memberships_for_user

SETUP_URL = "/accounts/2fa/"
# Where a signed-in person answers their second factor again (allauth's reauthentication).
ANSWER_URL = "/accounts/2fa/reauthenticate/"
ADMIN_PATH = "/admin/"
# Pages an operator without a second factor may still open: signing in and out, setting one up.
OPEN_TO_EVERYONE = (
    "/accounts/",
    "/static/",
    "/media/",
    "/healthz",
    "/api/v1/schema/",
    "/api/v1/docs/",
)
# Pages that handle where money goes: a second factor for everyone who reaches them.
MONEY_DESTINATIONS = (
    "/billing/bank-account/",
    "/billing/payouts/onboarding/",
    "/api/v1/billing/bank-account/",
)
PAID_KINDS = (Organization.Kind.WORKSHOP, Organization.Kind.LOGISTICS)
STRONG_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

OPERATOR_REFUSAL = (
    "Operators must set up a second factor (an authenticator app or a security key) "
    "before using the operator console or its API: open /accounts/2fa/ in the browser."
)
MONEY_REFUSAL = (
    "Bank details and payouts need a second factor (an authenticator app or a security key) "
    "on your account: set one up at /accounts/2fa/ in the browser."
)

ANSWER_REFUSAL = (
    "The admin asks staff and operators for their second factor in every session: enter a "
    "code from your authenticator app or use your security key."
)
ADMIN_SETUP_REFUSAL = (
    "The admin needs a second factor (an authenticator app or a security key) on your "
    "account: set one up here, then open the admin again."
)


def has_second_factor(*, user: User) -> bool:
    """Recovery codes alone do not count: they back up a factor, they are not one."""
    return Authenticator.objects.filter(user=user, type__in=STRONG_FACTORS).exists()


@dataclass(frozen=True)
class SecondFactorCheck:
    is_operator: bool | None  # None: not looked up (an open page, or the rule is off)
    refusal: str | None


def second_factor_check(*, user: User, path: str) -> SecondFactorCheck:
    """Whether this user may reach this path, with what was learnt on the way: the user's
    memberships (the request's one read of them, which the page and its navigation use too)
    say who must have a factor, and only those are asked for it (one query). The middleware
    hands `is_operator` on to the templates so that no page pays twice."""
    if (
        not getattr(settings, "MFA_REQUIRED_FOR_OPERATORS", True)
        or not user.is_authenticated
        or path.startswith(OPEN_TO_EVERYONE)
    ):
        return SecondFactorCheck(is_operator=None, refusal=None)
    memberships = memberships_for_user(user=user)
    operator = any(m.organization.kind == Organization.Kind.PLATFORM for m in memberships)
    if path.startswith(MONEY_DESTINATIONS):
        # Those who are paid: owners and admins of workshops and carriers.
        paid = any(
            m.role in Membership.MANAGERS and m.organization.kind in PAID_KINDS for m in memberships
        )
        refusal = MONEY_REFUSAL if paid and not has_second_factor(user=user) else None
        return SecondFactorCheck(is_operator=operator, refusal=refusal)
    if not operator:
        return SecondFactorCheck(is_operator=False, refusal=None)
    refusal = None if has_second_factor(user=user) else OPERATOR_REFUSAL
    return SecondFactorCheck(is_operator=True, refusal=refusal)


def second_factor_refusal(*, user: User, path: str) -> str | None:
    """Why this user may not reach this path without a second factor, or None if they may."""
    return second_factor_check(user=user, path=path).refusal


def session_answered_second_factor(*, session: Any, user: User) -> bool:
    """Whether this session answered a second factor for this user (allauth records each
    authentication of a session: a password, a code, a security key, a passkey)."""
    records = get_authentication_records(SimpleNamespace(session=session), user)
    return any(record.get("method") == "mfa" for record in records)


@dataclass(frozen=True)
class AdminDetour:
    """Where a staff user or operator goes instead of the admin, and why (for the message)."""

    url: str
    message: str


def admin_detour(
    *, user: User, session: Any, is_operator: bool, next_path: str
) -> AdminDetour | None:
    """None if this session may open the admin; otherwise where to answer (then back to
    ``next_path``) or set up a second factor first. Everyone the admin would let in (staff)
    and every operator must have answered one in this session; others the admin refuses
    itself."""
    if not getattr(settings, "MFA_REQUIRED_FOR_OPERATORS", True) or not user.is_authenticated:
        return None
    if not (user.is_staff or is_operator):
        return None
    if session_answered_second_factor(session=session, user=user):
        return None
    if not has_second_factor(user=user):
        return AdminDetour(SETUP_URL, ADMIN_SETUP_REFUSAL)
    return AdminDetour(f"{ANSWER_URL}?{urlencode({'next': next_path})}", ANSWER_REFUSAL)


def operator_session_unanswered(*, user: User, session: Any) -> bool:
    """An operator whose session has not answered a second factor (set up or not); such a
    session reaches neither the admin nor the live channel."""
    if not getattr(settings, "MFA_REQUIRED_FOR_OPERATORS", True) or not user.is_authenticated:
        return False
    if not Membership.objects.filter(
        user=user, organization__kind=Organization.Kind.PLATFORM
    ).exists():
        return False
    return not session_answered_second_factor(session=session, user=user)


def totp_authenticator_set(*, user: User, secret: str) -> Authenticator:
    """Gives the user an authenticator app with this base32 secret (the demo's operator, tests);
    people set theirs up on /accounts/2fa/, which shows them a fresh secret."""
    from allauth.mfa.totp.internal.auth import TOTP

    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    return TOTP.activate(user, secret).instance
