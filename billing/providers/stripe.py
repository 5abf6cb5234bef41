"""Stripe Connect: PaymentIntents in, separate transfers out (one per share), Express accounts.

Marketplace pattern "separate charges and transfers": the customer's PaymentIntent carries the
order's ``transfer_group``; each released share becomes one Transfer with
``source_transaction`` (the customer's charge) and an idempotency key from our payout's own
key, so a retry can never pay twice. Configured from settings: ``STRIPE_API_KEY``,
``STRIPE_API_BASE`` (tests point it at the fake), ``STRIPE_MAX_NETWORK_RETRIES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

from billing.errors import ProviderError, ProviderNotConfigured
from billing.money import Money
from billing.providers.base import (
    CancelResult,
    OnboardRequest,
    OnboardResult,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    RefundResult,
    ReversalRequest,
    ReversalResult,
)
from billing.providers.stripe_amounts import from_stripe_amount, to_stripe_amount

_PAYMENT_STATUS = {
    "succeeded": "succeeded",
    "canceled": "failed",
    "requires_payment_method": "pending",  # new, or failed and waiting for another card
}

# Stripe stores the outcome of a request under its idempotency key once the endpoint ran,
# failures included; a retry with the same key replays it. Not so for these statuses.
_NOT_STORED_UNDER_KEY = (409, 429)


def _message(error: stripe.StripeError) -> str:
    return error.user_message or str(error) or type(error).__name__


@dataclass(frozen=True, slots=True)
class AccountState:
    account_id: str
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str]
    transfers_active: bool = False  # capabilities.transfers == "active": may receive transfers


@dataclass(frozen=True, slots=True)
class StripeRefund:
    refund_id: str
    amount: Money
    status: str
    cf_refund: str  # our Refund's id from the metadata, "" for one made elsewhere


@dataclass(frozen=True, slots=True)
class ChargeState:
    charge_id: str
    payment_intent: str
    refunds: list[StripeRefund]
    fee: Money | None  # Stripe's fee from the charge's balance transaction


@dataclass(frozen=True, slots=True)
class DisputeState:
    dispute_id: str
    charge_id: str
    payment_intent: str
    amount: Money
    status: str  # Stripe's: needs_response, under_review, won, lost, ...
    reason: str


@dataclass(frozen=True, slots=True)
class TransferState:
    transfer_id: str
    amount: Money
    amount_reversed: Money
    reference: str  # our payout key from the metadata


class StripeProvider(PaymentProvider):
    name = "stripe"
    supports_onboarding = True

    def __init__(self, client: stripe.StripeClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            api_key = getattr(settings, "STRIPE_API_KEY", "")
            if not api_key:
                raise ProviderNotConfigured("Stripe is not configured: set STRIPE_API_KEY.")
            base = getattr(settings, "STRIPE_API_BASE", "")
            self._client = stripe.StripeClient(
                api_key,
                base_addresses={"api": base} if base else {},
                max_network_retries=getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2),
            )
        return self._client

    # -- payments ---------------------------------------------------------------------------
    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        params: dict[str, Any] = {
            "amount": to_stripe_amount(request.amount),
            "currency": request.amount.currency.lower(),
            "transfer_group": request.transfer_group,
            "description": f"Cloud Factory {request.reference}",
            "metadata": {
                "order_id": str(request.order_id),
                "payment_id": str(request.payment_id),
                "reference": request.reference,
                "customer_email": request.customer_email,
            },
        }
        if request.payment_method:
            params |= {"payment_method": request.payment_method, "confirm": True}
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"cf-payment-{request.payment_id}"}
            )
        except stripe.CardError as error:
            intent_id = getattr(getattr(error, "error", None), "payment_intent", None)
            return PaymentStart(
                provider_payment_id=getattr(intent_id, "id", "") or "",
                status="failed",
                failure_message=_message(error),
            )
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not start the payment: {_message(error)}",
                retryable=isinstance(error, stripe.APIConnectionError),
            ) from error
        return self._payment_start(intent)

    def retrieve_payment(self, provider_payment_id: str) -> PaymentStart:
        """The PaymentIntent as Stripe has it now (webhooks are re-checked with this)."""
        return self._payment_start(self._retrieve_intent(provider_payment_id))

    def _retrieve_intent(self, provider_payment_id: str) -> Any:
        try:
            return self.client.v1.payment_intents.retrieve(provider_payment_id)
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not load payment {provider_payment_id}: {_message(error)}",
                retryable=True,
            ) from error

    def cancel_payment(self, provider_payment_id: str) -> CancelResult:
        """Cancel the PaymentIntent; if Stripe refuses because it already succeeded (a late
        payment), say so with what was received, for the caller to refund."""
        try:
            self.client.v1.payment_intents.cancel(
                provider_payment_id, params={"cancellation_reason": "abandoned"}
            )
        except stripe.StripeError as error:
            if isinstance(error, stripe.APIConnectionError) or (error.http_status or 500) >= 500:
                raise ProviderError(
                    f"Stripe could not cancel payment {provider_payment_id}: {_message(error)}",
                    retryable=True,
                ) from error
            intent = self._retrieve_intent(provider_payment_id)
            if intent.status == "succeeded":
                return CancelResult(status="succeeded", payment=self._payment_start(intent))
            if intent.status == "canceled":
                return CancelResult(status="canceled")
            return CancelResult(status="failed", error=_message(error))
        return CancelResult(status="canceled")

    @staticmethod
    def _payment_start(intent: Any) -> PaymentStart:
        intent = intent.to_dict()
        status = _PAYMENT_STATUS.get(intent["status"], "pending")
        last_error = intent.get("last_payment_error")
        failure = (last_error or {}).get("message") or ""
        if status == "pending" and failure:
            status = "failed"
        charge = intent.get("latest_charge") or ""
        if not isinstance(charge, str):
            charge = charge["id"]
        received = None
        if status == "succeeded":
            minor = intent.get("amount_received") or intent["amount"]
            received = from_stripe_amount(int(minor), intent["currency"])
        return PaymentStart(
            provider_payment_id=intent["id"],
            status=status,
            client_secret=intent.get("client_secret") or "",
            charge_id=charge,
            amount_received=received,
            failure_message=failure,
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund once, however often asked: the key comes from our refund's id, the refund
        carries ``metadata[cf_refund]``, and a retry first adopts one Stripe already made."""
        if request.attempt > 1 and request.refund_id:
            found = self.find_refund(request)
            if found is not None:
                return found
        params: dict[str, Any] = {"amount": to_stripe_amount(request.amount, purpose="refund")}
        if request.charge_id:
            params["charge"] = request.charge_id
        else:
            params["payment_intent"] = request.provider_payment_id
        if request.reason in ("duplicate", "fraudulent", "requested_by_customer"):
            params["reason"] = request.reason
        if request.refund_id:
            params["metadata"] = {"cf_refund": str(request.refund_id)}
        try:
            refund = self.client.v1.refunds.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.APIConnectionError as error:
            return RefundResult(
                status="unknown", error=f"Stripe could not be reached: {_message(error)}"
            )
        except stripe.StripeError as error:
            status = error.http_status
            if status is None or status >= 500 or status in _NOT_STORED_UNDER_KEY:
                # Stripe may have refunded; a 5xx is stored under the key and replayed.
                return RefundResult(
                    status="unknown",
                    error=_message(error),
                    new_key_needed=status is not None and status >= 500,
                )
            return RefundResult(status="failed", error=_message(error))
        return self._refund_result(refund.to_dict())

    @staticmethod
    def _refund_result(refund: dict[str, Any]) -> RefundResult:
        status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
            refund.get("status") or "", "pending"
        )
        return RefundResult(status=status, provider_refund_id=refund["id"])

    def _list_refunds(self, *, provider_payment_id: str, charge_id: str) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 100}
        if charge_id:
            params["charge"] = charge_id
        else:
            params["payment_intent"] = provider_payment_id
        try:
            refunds = self.client.v1.refunds.list(params=params)
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not list refunds: {_message(error)}", retryable=True
            ) from error
        return [refund.to_dict() for refund in refunds.data]

    def find_refund(self, request: RefundRequest) -> RefundResult | None:
        """The refund Stripe made for our refund ``request.refund_id``, if any."""
        for refund in self._list_refunds(
            provider_payment_id=request.provider_payment_id, charge_id=request.charge_id
        ):
            if (refund.get("metadata") or {}).get("cf_refund") == str(request.refund_id):
                return self._refund_result(refund)
        return None

    def retrieve_charge(self, charge_id: str) -> ChargeState:
        """The charge with its refunds and Stripe's fee (webhooks about charges land here)."""
        try:
            charge = self.client.v1.charges.retrieve(charge_id).to_dict()
            fee = None
            txn_id = charge.get("balance_transaction")
            if isinstance(txn_id, dict):
                txn_id = txn_id.get("id")
            if txn_id:
                txn = self.client.v1.balance_transactions.retrieve(txn_id).to_dict()
                fee = from_stripe_amount(int(txn.get("fee") or 0), txn["currency"])
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not load charge {charge_id}: {_message(error)}", retryable=True
            ) from error
        refunds = [
            StripeRefund(
                refund_id=refund["id"],
                amount=from_stripe_amount(int(refund["amount"]), refund["currency"]),
                status=refund.get("status") or "",
                cf_refund=(refund.get("metadata") or {}).get("cf_refund", ""),
            )
            for refund in self._list_refunds(provider_payment_id="", charge_id=charge_id)
        ]
        intent = charge.get("payment_intent") or ""
        if isinstance(intent, dict):
            intent = intent["id"]
        return ChargeState(charge_id=charge["id"], payment_intent=intent, refunds=refunds, fee=fee)

    def retrieve_dispute(self, dispute_id: str) -> DisputeState:
        try:
            dispute = self.client.v1.disputes.retrieve(dispute_id).to_dict()
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not load dispute {dispute_id}: {_message(error)}", retryable=True
            ) from error
        charge = dispute.get("charge") or ""
        intent = dispute.get("payment_intent") or ""
        return DisputeState(
            dispute_id=dispute["id"],
            charge_id=charge if isinstance(charge, str) else charge["id"],
            payment_intent=intent if isinstance(intent, str) else intent["id"],
            amount=from_stripe_amount(int(dispute["amount"]), dispute["currency"]),
            status=dispute.get("status") or "",
            reason=dispute.get("reason") or "",
        )

    # -- payouts ----------------------------------------------------------------------------
    def payout(self, request: PayoutRequest) -> PayoutResult:
        if request.attempt > 1:
            # An earlier attempt may have made the transfer and lost the answer.
            found = self._find_transfer(request)
            if found:
                return PayoutResult(status="paid", provider_transfer_id=found)
        params: dict[str, Any] = {
            "amount": to_stripe_amount(request.amount, purpose="transfer"),
            "currency": request.amount.currency.lower(),
            "destination": request.destination,
            "metadata": {"payout": request.reference},
        }
        if request.source_transaction:
            params["source_transaction"] = request.source_transaction
        if request.transfer_group:
            params["transfer_group"] = request.transfer_group
        try:
            transfer = self.client.v1.transfers.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.APIConnectionError as error:
            return PayoutResult(
                status="failed", error=f"Stripe could not be reached: {_message(error)}"
            )
        except stripe.StripeError as error:
            stored = (
                error.http_status is not None and error.http_status not in _NOT_STORED_UNDER_KEY
            )
            return PayoutResult(status="failed", error=_message(error), new_key_needed=stored)
        return PayoutResult(status="paid", provider_transfer_id=transfer.id)

    def _find_transfer(self, request: PayoutRequest) -> str:
        params: dict[str, Any] = {"destination": request.destination, "limit": 100}
        if request.transfer_group:
            params["transfer_group"] = request.transfer_group
        try:
            transfers = self.client.v1.transfers.list(params=params)
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not list transfers: {_message(error)}", retryable=True
            ) from error
        for transfer in transfers.data:
            if (transfer.to_dict().get("metadata") or {}).get("payout") == request.reference:
                return transfer.id
        return ""

    def retrieve_transfer(self, transfer_id: str) -> TransferState:
        try:
            transfer = self.client.v1.transfers.retrieve(transfer_id).to_dict()
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not load transfer {transfer_id}: {_message(error)}",
                retryable=True,
            ) from error
        currency = transfer["currency"]
        return TransferState(
            transfer_id=transfer["id"],
            amount=from_stripe_amount(int(transfer["amount"]), currency),
            amount_reversed=from_stripe_amount(int(transfer.get("amount_reversed") or 0), currency),
            reference=(transfer.get("metadata") or {}).get("payout", ""),
        )

    def reverse_payout(self, request: ReversalRequest) -> ReversalResult:
        try:
            self.client.v1.transfers.reversals.create(
                request.provider_transfer_id,
                params={"amount": to_stripe_amount(request.amount, purpose="transfer")},
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            return ReversalResult(status="failed", error=_message(error))
        state = self.retrieve_transfer(request.provider_transfer_id)
        return ReversalResult(status="succeeded", amount_reversed_total=state.amount_reversed)

    # -- Connect onboarding -----------------------------------------------------------------
    def onboard(self, request: OnboardRequest) -> OnboardResult:
        try:
            account_id = request.existing_account_id
            if not account_id:
                account = self.client.v1.accounts.create(
                    params={
                        "type": "express",
                        "country": request.country,
                        "email": request.email,
                        "capabilities": {"transfers": {"requested": True}},
                        "metadata": {"organization_id": str(request.organization_id)},
                    },
                    options={"idempotency_key": f"cf-account-{request.organization_id}"},
                )
                account_id = account.id
            link = self.client.v1.account_links.create(
                params={
                    "account": account_id,
                    "type": "account_onboarding",
                    "refresh_url": request.refresh_url,
                    "return_url": request.return_url,
                }
            )
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not start onboarding: {_message(error)}",
                retryable=isinstance(error, stripe.APIConnectionError),
            ) from error
        return OnboardResult(account_id=account_id, url=link.url)

    def retrieve_account(self, account_id: str) -> AccountState:
        try:
            account = self.client.v1.accounts.retrieve(account_id).to_dict()
        except stripe.StripeError as error:
            raise ProviderError(
                f"Stripe could not load account {account_id}: {_message(error)}", retryable=True
            ) from error
        requirements = account.get("requirements") or {}
        return AccountState(
            account_id=account["id"],
            payouts_enabled=bool(account.get("payouts_enabled")),
            details_submitted=bool(account.get("details_submitted")),
            requirements_due=list(requirements.get("currently_due") or []),
            transfers_active=(account.get("capabilities") or {}).get("transfers") == "active",
        )
