"""Domain errors of the marketplace, with messages written for the person who acted."""

from config.errors import Conflict, DomainError, NotFound, PermissionDenied

__all__ = [
    "CapacityUnavailable",
    "Conflict",
    "DomainError",
    "InvalidCapacity",
    "InvalidMachine",
    "NotFound",
    "NotYet",
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


class NotYet(Conflict):
    """The move waits for something people still have to do (a required quality document, for
    one): refused with 409 like any conflict, but an expected state, which the periodic pass
    tries again next time without raising an alarm."""

    code = "not_yet"


class QuoteInvalid(DomainError):
    code = "quote_invalid"
