"""Reads of users, organizations and memberships, always scoped to what the user may see."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import QuerySet

from accounts.errors import NotFound
from accounts.models import Invitation, Membership, Organization, User
from config.ids import parse_id

ACTIVE_ORGANIZATION_SESSION_KEY = "active_organization_id"
ORGANIZATION_HEADER = "X-Organization"

# Within one request: user id -> operator or not (``operator_memo``); None outside requests.
_operator_answers: ContextVar[dict[int, bool] | None] = ContextVar("operator_answers", default=None)


@contextmanager
def operator_memo() -> Iterator[None]:
    """Within the block (one request), ``is_operator`` asks the database once per user: the
    middleware, the page and the navigation all ask. A membership saved or deleted meanwhile
    forgets the answer (``operator_memo_forget``)."""
    token = _operator_answers.set({})
    try:
        yield
    finally:
        _operator_answers.reset(token)


def operator_memo_remember(*, user: User, answer: bool) -> None:
    """An answer found another way (the second-factor check reads it in its own query)."""
    answers = _operator_answers.get()
    if answers is not None and user.is_authenticated:
        answers[user.pk] = answer


def operator_memo_forget(*, user_id: int) -> None:
    answers = _operator_answers.get()
    if answers is not None:
        answers.pop(user_id, None)


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization")


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
    return frozenset(user.memberships.values_list("organization_id", flat=True))


def is_member_of(*, user: User, organization_ids: Iterable[int | None]) -> bool:
    """Whether the user belongs to at least one of these organizations."""
    ids = [pk for pk in organization_ids if pk is not None]
    return Membership.objects.filter(user=user, organization_id__in=ids).exists()


def organization_pending_invitations(*, organization: Organization) -> list[Invitation]:
    return [i for i in organization.invitations.filter(accepted_at=None) if not i.is_expired]


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
        key = str(requested)
        number = parse_id(key)
        lookup = {"organization_id": number} if number else {"organization__slug": key}
        return memberships.filter(**lookup).first()
    if session_choice is not None:
        chosen = memberships.filter(organization_id=session_choice).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at").first()
