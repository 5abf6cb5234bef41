"""The base of every app's domain errors, so that views and the API report them one way."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404


class DomainError(Exception):
    """A rule of the business was broken; `message` is written for the person who acted."""

    code = "invalid"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError, Http404):
    """The object does not exist or the user may not see it (the two are never told apart).

    Also an Http404, so that web views need no handling of their own.
    """

    code = "not_found"
    status_code = 404


class PermissionDenied(DomainError, DjangoPermissionDenied):
    code = "permission_denied"
    status_code = 403


class Conflict(DomainError):
    """Someone else changed the object first, or the request repeats a finished action."""

    code = "conflict"
    status_code = 409
