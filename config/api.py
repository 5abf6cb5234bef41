"""API plumbing shared by every app: one error body, pagination."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as `{"error": {"code", "message", "fields"?}}`.

    Clients (a workshop's MES, scripts, the browser) read one shape whatever failed:
    validation, authentication, permissions, throttling or a broken business rule.
    """
    if isinstance(exc, DomainError):
        body = {"error": {"code": exc.code, "message": exc.message}}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

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
