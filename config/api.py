"""API plumbing shared by every app: one error body, pagination, numeric ids."""

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import bad_request as site_bad_request
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class Router(SimpleRouter):
    """Every object id in a URL is a number: ``/designs/abc/`` is a 404 like any unknown id,
    never a lookup that the database refuses (viewsets looked up by code keep any slug)."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        numeric = getattr(viewset, "lookup_field", "pk") in ("pk", "id")
        self._default_value_pattern = "[0-9]+" if numeric else "[^/.]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A URL under the API that matches no route (``/orders/-1/``) answers in the API's error
    body, as its schema documents; the site's other URLs keep the page."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "not_found", "message": "Not found."}}
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)


TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What Django refuses before any view (a Host it does not serve, a body it cannot read, too
    many fields or files, read by a middleware looking for the CSRF token) answers in the API's
    error body under /api/ instead of the site's HTML page."""
    if not request.path.startswith("/api/"):
        return site_bad_request(request, exception)
    if isinstance(exception, TOO_LARGE):
        code, message, status_code = "too_large", _too_large(exception).detail, 413
    elif isinstance(exception, MultiPartParserError):
        code, status_code = "parse_error", 400
        message = f"The multipart body cannot be read: {exception}"
    elif isinstance(exception, DisallowedHost):
        code, status_code = "bad_request", 400
        message = "The Host header names a host this site does not serve."
    else:
        code, message, status_code = "bad_request", "The request cannot be read.", 400
    return JsonResponse({"error": {"code": code, "message": message}}, status=status_code)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def _too_large(exc: Exception) -> PayloadTooLarge:
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return PayloadTooLarge(f"One request carries at most {limit} files.")
    return PayloadTooLarge()


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is still in use."
    default_code = "in_use"


def _in_use(exc: ProtectedError | RestrictedError) -> Conflict:
    """A delete refused because other records point at the object, in words: what refers to it."""
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.args[1]})
    what = ", ".join(kinds) or "other records"
    return Conflict(f"It cannot be deleted: {what} still refer to it.")


def _anonymous_throttled(context: dict[str, Any]) -> exceptions.Throttled | None:
    """DRF checks throttles after authentication and permissions, so a request refused as
    unauthenticated (no token, a guessed one) never counted against the anonymous rate: it
    counts here, and past the rate the answer is 429."""
    request, view = context.get("request"), context.get("view")
    if request is None or view is None:
        return None
    throttle = AnonRateThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as `{"error": {"code", "message", "fields"?}}`.

    Clients (a workshop's MES, scripts, the browser) read one shape whatever failed:
    validation, authentication, permissions, throttling or a broken business rule.
    """
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        exc = _anonymous_throttled(context) or exc
    if isinstance(exc, DomainError):
        body = {"error": {"code": exc.code, "message": exc.message}}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, TOO_LARGE):
        exc = _too_large(exc)
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = _in_use(exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "error": {
                "code": "invalid",
                "message": "The request has invalid fields.",
                "fields": fields,
            }
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "error": {
                "code": codes if isinstance(codes, str) else "error",
                "message": str(exc.detail),
            }
        }
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data["error"]["retry_after_s"] = getattr(exc, "wait", None)
    return response
