"""Domain errors of billing: ledger, payments, payouts and providers."""

from config.errors import Conflict, DomainError, NotFound, PermissionDenied

__all__ = [
    "AlreadyReversed",
    "Conflict",
    "DomainError",
    "IdempotencyConflict",
    "ImmutableRecord",
    "InvalidTransfer",
    "NotFound",
    "PaymentAmountMismatch",
    "PaymentNotConfirmable",
    "PermissionDenied",
    "ProviderError",
    "ProviderNotConfigured",
    "RefundNotAllowed",
    "UnbalancedTransaction",
]


class UnbalancedTransaction(DomainError):
    """The entries of a ledger transaction do not sum to zero in every currency."""

    code = "ledger_unbalanced"


class IdempotencyConflict(Conflict):
    """An idempotency key was reused for a different posting."""

    code = "idempotency_conflict"


class AlreadyReversed(Conflict):
    code = "already_reversed"


class InvalidTransfer(DomainError):
    """A two-leg transfer must move a positive amount between two accounts of its currency."""

    code = "ledger_invalid_transfer"


class ImmutableRecord(DomainError):
    """Ledger rows are append-only: corrections are new, reversing transactions."""

    code = "immutable"


class PaymentNotConfirmable(Conflict):
    code = "payment_not_confirmable"


class PaymentAmountMismatch(DomainError):
    code = "payment_amount_mismatch"


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"


class ProviderNotConfigured(DomainError):
    code = "provider_not_configured"
    status_code = 500


class ProviderError(DomainError):
    """The payment provider refused or failed; ``retryable`` says whether trying again may help."""

    code = "provider_error"
    status_code = 502

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable
