"""The one small interface every payment provider implements, with dataclass arguments.

Providers talk to the outside world and nothing else: they never touch the database, never
hold a lock, and report what happened in a result dataclass. The services in
``billing.services`` record results, post the ledger and send signals. Idempotency keys are
built by the services from our own ids, so a retried call cannot pay twice.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from billing.money import Money

__all__ = [
    "CancelResult",
    "OnboardRequest",
    "OnboardResult",
    "PaymentProvider",
    "PaymentRequest",
    "PaymentStart",
    "PayoutRequest",
    "PayoutResult",
    "RefundRequest",
    "RefundResult",
    "ReversalRequest",
    "ReversalResult",
]

PaymentStatus = Literal["pending", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """Ask the customer for ``amount`` for an order; ``payment_id`` is our Payment's id."""

    amount: Money
    order_id: int
    reference: str
    customer_email: str
    transfer_group: str
    payment_id: int
    payment_method: str | None = None  # confirm at once with a saved method (Stripe only)


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """What the customer needs to pay: bank instructions, or a client secret for Stripe.js."""

    provider_payment_id: str
    status: PaymentStatus = "pending"
    instructions: dict[str, Any] = field(default_factory=dict)
    client_secret: str = ""
    charge_id: str = ""
    amount_received: Money | None = None
    failure_message: str = ""


@dataclass(frozen=True, slots=True)
class CancelResult:
    """``canceled``: no money will come; ``succeeded``: too late, the money was captured
    (``payment`` says how much); ``failed``: the provider refused, ``error`` says why."""

    status: Literal["canceled", "succeeded", "failed"]
    payment: PaymentStart | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Refund ``amount``; ``refund_id`` is our Refund's id, stored with the provider's refund
    so a retry can find one whose answer was lost (``attempt`` > 1 looks first)."""

    provider_payment_id: str
    charge_id: str
    amount: Money
    idempotency_key: str
    reason: str = ""
    refund_id: int = 0
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class RefundResult:
    """``unknown``: the provider may have refunded (no answer, or a server error); the refund
    stays pending and is retried, looking it up first. ``new_key_needed``: the provider
    stored its answer under the key, so the retry must use the next key generation."""

    status: Literal["succeeded", "pending", "failed", "unknown"]
    provider_refund_id: str = ""
    error: str = ""
    new_key_needed: bool = False


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    """Send ``amount`` to a party; ``source_transaction`` ties it to the customer's charge."""

    destination: str  # the provider's account id (Stripe: acct_...), or a label for a bank file
    amount: Money
    idempotency_key: str
    source_transaction: str = ""
    transfer_group: str = ""
    reference: str = ""  # our payout key, stored with the transfer to find it again
    party_name: str = ""
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class PayoutResult:
    """``paid``: the money left; ``submitted``: waits in a bank file; ``failed``: nothing sent.

    ``new_key_needed``: the provider stored this failure under the idempotency key, so a
    retry must use a fresh key (after checking nothing was sent, which the provider does).
    """

    status: Literal["paid", "submitted", "failed"]
    provider_transfer_id: str = ""
    error: str = ""
    new_key_needed: bool = False


@dataclass(frozen=True, slots=True)
class ReversalRequest:
    provider_transfer_id: str
    amount: Money
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ReversalResult:
    status: Literal["succeeded", "failed"]
    amount_reversed_total: Money | None = None  # everything reversed on the transfer so far
    provider_reversal_id: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class OnboardRequest:
    """Open (or reuse) a party's payout account and get a link to the provider's onboarding."""

    organization_id: int
    email: str
    country: str
    refresh_url: str
    return_url: str
    existing_account_id: str = ""


@dataclass(frozen=True, slots=True)
class OnboardResult:
    account_id: str
    url: str


class PaymentProvider(abc.ABC):
    """Start payments, refund them and pay parties out; one subclass per provider."""

    name: ClassVar[str]
    supports_onboarding: ClassVar[bool] = False

    @abc.abstractmethod
    def start_payment(self, request: PaymentRequest) -> PaymentStart: ...

    @abc.abstractmethod
    def refund(self, request: RefundRequest) -> RefundResult: ...

    def cancel_payment(self, provider_payment_id: str) -> CancelResult:
        """Stop a payment that has not arrived; by default nothing to tell anyone."""
        return CancelResult(status="canceled")

    @abc.abstractmethod
    def payout(self, request: PayoutRequest) -> PayoutResult: ...

    def reverse_payout(self, request: ReversalRequest) -> ReversalResult:
        return ReversalResult(
            status="failed", error=f"The {self.name} provider cannot reverse payouts."
        )

    def onboard(self, request: OnboardRequest) -> OnboardResult:
        raise NotImplementedError(f"The {self.name} provider has no onboarding.")
