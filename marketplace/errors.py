"""Domain errors of the marketplace, with messages written for the person who acted."""

from config.errors import Conflict, DomainError, NotFound, PermissionDenied

__all__ = [
    "CapacityUnavailable",
    "Conflict",
    "DomainError",
    "InvalidCapacity",
    "InvalidMachine",
    "NotFound",
    "PermissionDenied",
    "QuoteInvalid",
    "TransitionRefused",
]


class InvalidMachine(DomainError):
    code = "invalid_machine"


class InvalidCapacity(DomainError):
    code = "invalid_capacity"


class CapacityUnavailable(Conflict):
    """The machine is closed, down or already booked for (part of) the requested time."""

    code = "capacity_unavailable"


class TransitionRefused(Conflict):
    code = "transition_refused"


class QuoteInvalid(DomainError):
    code = "quote_invalid"
