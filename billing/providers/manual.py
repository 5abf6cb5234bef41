"""The embedded default: bank transfers in, a CSV for the bank out, an operator in between.

The customer is shown the platform's bank details and a generated reference; an operator who
sees the money arrive confirms it (``payment_confirm_manual``). Payouts are ``submitted`` to a
bank file (``payouts_bank_csv``) and marked paid by an operator once the bank has executed it.
Nothing here talks to a network.
"""

from __future__ import annotations

import secrets

from django.conf import settings

from billing.providers.base import (
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    RefundResult,
)

# No 0/O, 1/I/L: references are typed by hand into banking apps.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_RANDOM_CHARS = 6

DEFAULT_BANK_DETAILS = {
    "beneficiary": "Cloud Factory",
    "iban": "DE00 0000 0000 0000 0000 00",
    "bic": "CLFADEXXXXX",
}


def bank_reference(order_id: int) -> str:
    """E.g. ``CF-42-7KQ3MX``: the order for people, random characters against guessing."""
    token = "".join(secrets.choice(_ALPHABET) for _ in range(REFERENCE_RANDOM_CHARS))
    return f"CF-{order_id}-{token}"


class ManualProvider(PaymentProvider):
    name = "manual"

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        reference = bank_reference(request.order_id)
        bank = {**DEFAULT_BANK_DETAILS, **getattr(settings, "MANUAL_BANK_DETAILS", {})}
        return PaymentStart(
            provider_payment_id=reference,
            status="pending",
            instructions={
                "method": "bank_transfer",
                **bank,
                "amount": str(request.amount),
                "reference": reference,
                "text": (
                    f"Transfer {request.amount} to {bank['beneficiary']}, IBAN {bank['iban']}, "
                    f"with the reference {reference}. Your order starts once it arrives."
                ),
            },
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        # The operator who asked for the refund sends it from the bank; recording it is all.
        return RefundResult(
            status="succeeded", provider_refund_id=f"BANK-{request.idempotency_key}"
        )

    def payout(self, request: PayoutRequest) -> PayoutResult:
        return PayoutResult(status="submitted", provider_transfer_id=f"BANK-{request.reference}")
