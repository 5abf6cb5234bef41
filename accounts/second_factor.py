"""Who must have a second factor (allauth's MFA) before reaching what.

A stolen password must not be enough to run the platform or to redirect money, so:

- operators (members of the platform organization) reach nothing but their account pages until
  they have set up a second factor (an authenticator app or a security key / passkey);
- anyone reaching bank details or payout set-up (owners and admins of the organizations that
  are paid) needs one too.

Once a second factor is set up, allauth asks for it at every password sign-in. The same rule
serves the web (`SecondFactorMiddleware` sends the person to set one up) and the API (the
authentication classes answer 403 with the reason), so it lives here once.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings

from accounts.models import User
from accounts.selectors import is_operator

SETUP_URL = "/accounts/2fa/"
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
STRONG_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

OPERATOR_REFUSAL = (
    "Operators must set up a second factor (an authenticator app or a security key) "
    "before using the operator console or its API: open /accounts/2fa/ in the browser."
)
MONEY_REFUSAL = (
    "Bank details and payouts need a second factor (an authenticator app or a security key) "
    "on your account: set one up at /accounts/2fa/ in the browser."
)


def has_second_factor(*, user: User) -> bool:
    """Recovery codes alone do not count: they back up a factor, they are not one."""
    return Authenticator.objects.filter(user=user, type__in=STRONG_FACTORS).exists()


def second_factor_refusal(*, user: User, path: str) -> str | None:
    """Why this user may not reach this path without a second factor, or None if they may."""
    if not getattr(settings, "MFA_REQUIRED_FOR_OPERATORS", True):
        return None
    if not user.is_authenticated or path.startswith(OPEN_TO_EVERYONE):
        return None
    if path.startswith(MONEY_DESTINATIONS):
        return None if has_second_factor(user=user) else MONEY_REFUSAL
    if is_operator(user=user) and not has_second_factor(user=user):
        return OPERATOR_REFUSAL
    return None


def totp_authenticator_set(*, user: User, secret: str) -> Authenticator:
    """Gives the user an authenticator app with this base32 secret (the demo's operator, tests);
    people set theirs up on /accounts/2fa/, which shows them a fresh secret."""
    from allauth.mfa.totp.internal.auth import TOTP

    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    return TOTP.activate(user, secret).instance
