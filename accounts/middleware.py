"""Attaches the organization a user acts for to each request; remembers signed-in devices."""

from django.utils.functional import SimpleLazyObject

from accounts.selectors import (
    ACTIVE_ORGANIZATION_SESSION_KEY,
    active_membership,
    operator_memo,
    operator_memo_remember,
)


class ActiveOrganizationMiddleware:
    """Sets `request.membership` (or None) lazily, so requests that never ask pay nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership_or_none(request))
        with operator_memo():
            return self.get_response(request)


class SignInDeviceMiddleware:
    """Sets the cookie that marks a browser as one its owner signed in from (accounts.signin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from accounts.signin import device_cookie_set

        response = self.get_response(request)
        device_cookie_set(request, response)
        return response


class _NoMembership:
    """Stands in for None inside SimpleLazyObject, which cannot wrap None itself."""

    def __bool__(self) -> bool:
        return False

    organization = None
    role = None
    can_manage = False


def _membership_or_none(request):
    membership = active_membership(
        user=request.user,
        requested=request.headers.get("X-Organization"),
        session_choice=request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY),
    )
    return membership if membership is not None else _NoMembership()


class SecondFactorMiddleware:
    """Sends operators (and anyone opening bank details) without a second factor to set one up,
    and staff users and operators whose session has not answered theirs away from the admin to
    answer it or set one up (accounts.second_factor); the API gives its own 403 through
    `accounts.api.authentication`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib import messages
        from django.shortcuts import redirect

        from accounts.second_factor import (
            ADMIN_PATH,
            SETUP_URL,
            admin_detour,
            second_factor_check,
        )

        if not request.path.startswith("/api/"):
            check = second_factor_check(user=request.user, path=request.path)
            if check.is_operator is not None:
                request.user_is_operator = check.is_operator  # for the navigation, no 2nd query
                operator_memo_remember(user=request.user, answer=check.is_operator)
            if check.refusal:
                messages.warning(request, check.refusal)
                return redirect(SETUP_URL)
            detour = request.path.startswith(ADMIN_PATH) and admin_detour(
                user=request.user,
                session=request.session,
                is_operator=bool(check.is_operator),
                next_path=request.get_full_path(),
            )
            if detour:
                messages.warning(request, detour.message)
                return redirect(detour.url)
        return self.get_response(request)
