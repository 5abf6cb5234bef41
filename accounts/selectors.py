"""Reads of users, organizations and memberships, always scoped to what the user may see."""

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from django.db.models import QuerySet

from accounts.errors import NotFound
from accounts.models import Invitation, Membership, Organization, User
from config.ids import parse_id

ACTIVE_ORGANIZATION_SESSION_KEY = "active_organization_id"
ORGANIZATION_HEADER = "X-Organization"

# Within one request (``operator_memo``): user id -> operator or not, and user id -> the user's
# memberships with their organizations; None outside requests.
_operator_answers: ContextVar[dict[int, bool] | None] = ContextVar("operator_answers", default=None)
_membership_rows: ContextVar[dict[int, list[Membership]] | None] = ContextVar(
    "membership_rows", default=None
)


@contextmanager
def operator_memo() -> Iterator[None]:
    """Within the block (one request), ``is_operator`` and the user's memberships are read from
    the database once per user: the middleware, the page, its access checks and the navigation
    all ask. A membership saved or deleted meanwhile forgets them (``operator_memo_forget``)."""
    answers = _operator_answers.set({})
    rows = _membership_rows.set({})
    try:
        yield
    finally:
        _membership_rows.reset(rows)
        _operator_answers.reset(answers)


def operator_memo_remember(*, user: User, answer: bool) -> None:
    """An answer found another way (the second-factor check reads it in its own query)."""
    answers = _operator_answers.get()
    if answers is not None and user.is_authenticated:
        answers[user.pk] = answer


def operator_memo_forget(*, user_id: int) -> None:
    for memo in (_operator_answers.get(), _membership_rows.get()):
        if memo is not None:
            memo.pop(user_id, None)


def memberships_for_user(*, user: User) -> list[Membership]:
    """The user's memberships with their organizations, by organization name; one query per
    request however often it is asked."""
    if not user.is_authenticated:
        return []
    memo = _membership_rows.get()
    if memo is not None and user.pk in memo:
        return memo[user.pk]
    rows = list(Membership.objects.filter(user=user).select_related("organization"))
    if memo is not None:
        memo[user.pk] = rows
    return rows


def membership_get(*, user: User, organization: Organization) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization=organization).first()


def is_operator(*, user: User) -> bool:
    """Operators are the members of the platform organization."""
    if not user.is_authenticated:
        return False
    answers = _operator_answers.get()
    if answers is not None and user.pk in answers:
        return answers[user.pk]
    rows = _membership_rows.get()
    if rows is not None and user.pk in rows:
        return any(m.organization.kind == Organization.Kind.PLATFORM for m in rows[user.pk])
    answer = Membership.objects.filter(
        user=user, organization__kind=Organization.Kind.PLATFORM
    ).exists()
    if answers is not None:
        answers[user.pk] = answer
    return answer


def organization_get_for_member(*, organization_id: int | str, user: User) -> Organization:
    """The organization if the user belongs to it (or operates the platform), else NotFound."""
    queryset = (
        Organization.objects.all()
        if is_operator(user=user)
        else (Organization.objects.for_member(user))
    )
    try:
        return queryset.get(pk=int(organization_id))
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such organization.") from None


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__email")


def member_user_ids(*organization_ids: int | None) -> list[int]:
    """Ids of the users belonging to any of these organizations: whom to notify or push to."""
    ids = [pk for pk in organization_ids if pk is not None]
    return list(
        Membership.objects.filter(organization_id__in=ids)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def member_users(*organization_ids: int | None) -> list[User]:
    """The users belonging to any of these organizations, for notices that need the rows."""
    return list(User.objects.filter(pk__in=member_user_ids(*organization_ids)))


def operator_users() -> list[User]:
    """Everyone who acts for the platform: who hears of reports, failures and escalations."""
    return list(
        User.objects.filter(memberships__organization__kind=Organization.Kind.PLATFORM).distinct()
    )


def organization_ids_of(*, user: User) -> frozenset[int]:
    """The organizations a user acts for; the one query every "is this theirs?" check uses."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(m.organization_id for m in memberships_for_user(user=user))


def is_member_of(*, user: User, organization_ids: Iterable[int | None]) -> bool:
    """Whether the user belongs to at least one of these organizations."""
    ids = [pk for pk in organization_ids if pk is not None]
    return Membership.objects.filter(user=user, organization_id__in=ids).exists()


def organization_pending_invitations(*, organization: Organization) -> list[Invitation]:
    return [i for i in organization.invitations.filter(accepted_at=None) if not i.is_expired]


_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,220}")


def organization_named(*, user: User, requested: str) -> Membership | Literal[False] | None:
    """The user's membership of the organization an ``X-Organization`` value names (by id, or
    by slug when it is not all digits), None when they are not a member of it, False when the
    value can name no organization at all (blank, not an id nor a slug)."""
    key = requested.strip()
    number = parse_id(key)
    if number is None and (key.isdigit() or not _SLUG.fullmatch(key)):
        return False
    return next(
        (
            m
            for m in memberships_for_user(user=user)
            if (m.organization_id == number if number is not None else m.organization.slug == key)
        ),
        None,
    )


def active_membership(
    *, user: User, requested: str | int | None = None, session_choice: int | None = None
) -> Membership | None:
    """The membership the user acts through now.

    An explicit request (the `X-Organization` header of an API client, by id or slug) wins,
    then the choice stored in the web session, then the user's first membership. A request
    for an organization the user does not belong to gives None, never someone else's.
    """
    memberships = memberships_for_user(user=user)
    if requested not in (None, ""):
        return organization_named(user=user, requested=str(requested)) or None
    if session_choice is not None:
        chosen = next((m for m in memberships if m.organization_id == session_choice), None)
        if chosen is not None:
            return chosen
    return min(memberships, key=lambda m: (m.created_at, m.pk), default=None)
