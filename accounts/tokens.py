"""API tokens (django-rest-knox): created on the tokens page, expiring, renewable, revocable.

A token expires API_TOKEN_TTL_DAYS after its creation or last renewal; knox renews a token in
use (REST_KNOX AUTO_REFRESH), so only forgotten tokens lapse, and the owner renews one by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken

from accounts.errors import DomainError, NotFound
from accounts.models import User


class TooManyTokens(DomainError):
    code = "too_many_tokens"
    status_code = 429


def tokens_of(*, user: User) -> QuerySet[AuthToken]:
    """The user's tokens that still work, newest first (knox deletes expired ones lazily)."""
    working = AuthToken.objects.filter(user=user).exclude(expiry__lt=timezone.now())
    return working.order_by("-created")


def token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new token and its one-time clear text; at most API_TOKENS_PER_HOUR an hour, so a
    stolen session cannot mint tokens without end."""
    key = f"tokens:created:{user.pk}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > settings.API_TOKENS_PER_HOUR:
        raise TooManyTokens("You created many tokens in the last hour. Try again later.")
    return AuthToken.objects.create(user=user)


def token_renew(*, user: User, token_id: str) -> AuthToken:
    """Moves a working token's expiry to API_TOKEN_TTL_DAYS from now; an expired one stays dead."""
    token = tokens_of(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token, or it has expired: create a new one.")
    token.expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    token.save(update_fields=["expiry"])
    return token


def token_revoke(*, user: User, token_id: str) -> None:
    AuthToken.objects.filter(user=user, pk=token_id).delete()
