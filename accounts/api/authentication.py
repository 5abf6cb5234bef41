"""The API's authentication classes: knox tokens and browser sessions, each refusing with a 403
and the reason when the user must first set up a second factor (accounts.second_factor)."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from accounts.second_factor import second_factor_refusal


def _checked(request, result):
    if result is not None:
        refusal = second_factor_refusal(user=result[0], path=request.path)
        if refusal:
            raise PermissionDenied(refusal)
    return result


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
