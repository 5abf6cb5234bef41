"""Permission helpers used by every view, API view, consumer and task.

Isolation lives here: a member of organization A never reaches B's data, because every
object is fetched through a selector that checks membership with these helpers.
"""

from rest_framework.permissions import BasePermission

from accounts.errors import PermissionDenied
from accounts.models import Membership, Organization, User
from accounts.selectors import (
    ACTIVE_ORGANIZATION_SESSION_KEY,
    ORGANIZATION_HEADER,
    is_operator,
    membership_get,
)


def require_membership(
    *, user: User, organization: Organization, roles: tuple[str, ...] | None = None
) -> Membership:
    """The user's membership of the organization, or PermissionDenied if absent or too weak."""
    membership = membership_get(user=user, organization=organization)
    if membership is None:
        raise PermissionDenied("You are not a member of this organization.")
    if roles is not None and membership.role not in roles:
        raise PermissionDenied("Only an owner or admin of the organization may do this.")
    return membership


def require_manager(*, user: User, organization: Organization) -> Membership:
    return require_membership(user=user, organization=organization, roles=Membership.MANAGERS)


def require_operator(*, user: User) -> None:
    if not is_operator(user=user):
        raise PermissionDenied("Only platform operators may do this.")


def require_kind(*, membership, kinds: tuple[str, ...]) -> Organization:
    """The active organization if it is of one of the kinds, e.g. only workshops list machines."""
    if not membership or membership.organization.kind not in kinds:
        names = " or ".join(Organization.Kind(kind).label.lower() for kind in kinds)
        raise PermissionDenied(f"Switch to a {names} organization to do this.")
    return membership.organization


def acting_organization(request) -> Organization | None:
    """The organization the user explicitly acts as: the X-Organization header, else the one
    picked with the site's switch; None when they picked none (callers may then consider all
    of their organizations). A header naming an organization of someone else is refused."""
    header = request.headers.get(ORGANIZATION_HEADER)
    chosen = header or request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY)
    if chosen in (None, ""):
        return None
    membership = request.membership
    if not membership:
        raise PermissionDenied("You are not a member of the organization you act as.")
    if not header and membership.organization_id != chosen:
        return None  # a stale choice (the user left it): no explicit organization
    return membership.organization


class IsOperator(BasePermission):
    message = "Only platform operators may do this."

    def has_permission(self, request, view) -> bool:
        return is_operator(user=request.user)


class HasActiveOrganization(BasePermission):
    message = "Join or create an organization first, or name it in the X-Organization header."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request, "membership", None))
