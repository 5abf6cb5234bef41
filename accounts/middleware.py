"""Attaches the organization a user acts for to each request; remembers signed-in devices."""

from urllib.parse import urlencode

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
    and operators whose session has not answered theirs away from the admin to answer it
    (accounts.second_factor); the API gives its own 403 through `accounts.api.authentication`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib import messages
        from django.shortcuts import redirect

        from accounts.second_factor import (
            ADMIN_PATH,
            ANSWER_REFUSAL,
            ANSWER_URL,
            SETUP_URL,
            second_factor_check,
            session_answered_second_factor,
        )

        if not request.path.startswith("/api/"):
            check = second_factor_check(user=request.user, path=request.path)
            if check.is_operator is not None:
                request.user_is_operator = check.is_operator  # for the navigation, no 2nd query
                operator_memo_remember(user=request.user, answer=check.is_operator)
            if check.refusal:
                messages.warning(request, check.refusal)
                return redirect(SETUP_URL)
            if (
                check.is_operator
                and request.path.startswith(ADMIN_PATH)
                and not session_answered_second_factor(session=request.session, user=request.user)
            ):
                messages.warning(request, ANSWER_REFUSAL)
                return redirect(f"{ANSWER_URL}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
