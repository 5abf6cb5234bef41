"""Template context: the user's memberships and the active one, for navigation by role."""

from accounts.selectors import is_operator, memberships_for_user


def organizations(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    organization = membership.organization if membership else None
    return {
        "memberships": memberships_for_user(user=user),
        "active_membership": membership if membership else None,
        "active_organization": organization,
        "active_kind": organization.kind if organization else None,
        "user_is_operator": (
            request.user_is_operator
            if hasattr(request, "user_is_operator")  # SecondFactorMiddleware looked it up
            else is_operator(user=user)
        ),
        "unread_notifications": user.notifications.filter(read_at=None).count(),
    }
