"""The API's authentication classes: knox tokens and browser sessions, each refusing with a 403
and the reason when the user must first set up a second factor (accounts.second_factor)."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed, PermissionDenied

from accounts.second_factor import second_factor_refusal
from accounts.selectors import ORGANIZATION_HEADER, organization_named


class OrganizationHeaderInvalid(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "organization_header_invalid"
    default_detail = "Name an organization in X-Organization by its id or slug, or leave it out."


def _checked(request, result):
    if result is not None:
        refusal = second_factor_refusal(user=result[0], path=request.path)
        if refusal:
            raise PermissionDenied(refusal)
        _organization_header_check(request, user=result[0])
    return result


def _organization_header_check(request, *, user) -> None:
    """A client that names an organization acts for it or is refused: a mistyped header must
    not fall back to the user's other organization. The web session's choice is not a header
    and is not checked here (a stale one simply falls back, accounts.selectors)."""
    requested = request.headers.get(ORGANIZATION_HEADER)
    if requested is None:
        return
    named = organization_named(user=user, requested=requested)
    if named is False:
        raise OrganizationHeaderInvalid()
    if named is None:
        raise PermissionDenied(
            f"You are not a member of organization {requested.strip()}.", code="not_a_member"
        )


class SecondFactorTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        return _checked(request, super().authenticate(request))

    def authenticate_credentials(self, token):
        # knox decodes the raw header bytes as UTF-8 and let bytes like 0xff raise (a 500 on
        # every API URL, signed in or not): they are simply not a token.
        try:
            return super().authenticate_credentials(token)
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None


class SecondFactorSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        return _checked(request, super().authenticate(request))


class SecondFactorTokenScheme(KnoxTokenScheme):
    """The schema names the same two schemes as before: the check adds a reason, not a scheme."""

    target_class = SecondFactorTokenAuthentication


class SecondFactorSessionScheme(SessionScheme):
    target_class = SecondFactorSessionAuthentication
