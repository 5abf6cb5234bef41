"""Domain errors of accounts and organizations."""

from config.errors import Conflict, DomainError, NotFound, PermissionDenied

__all__ = [
    "Conflict",
    "DomainError",
    "InvitationInvalid",
    "LastOwner",
    "NotFound",
    "PermissionDenied",
    "WebhookInvalid",
]


class InvitationInvalid(DomainError):
    code = "invitation_invalid"


class LastOwner(DomainError):
    code = "last_owner"


class WebhookInvalid(DomainError):
    code = "webhook_invalid"
