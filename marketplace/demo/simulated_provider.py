"""A payment provider for the simulations: payments the simulation confirms itself, refunds
and payouts that fail now and then, so the retries are exercised on every run."""

from __future__ import annotations

import random
from typing import ClassVar

from billing.providers.base import (
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    RefundResult,
)

PROVIDER = "simulated"
P_REFUND_ANSWER_LOST = 0.1  # per refund call
P_PAYOUT_FAILS = 0.05  # per payout call


class SimulatedProvider(PaymentProvider):
    """Bank-transfer-like payments (confirmed by the simulation), refunds whose answer is
    sometimes lost, payouts sometimes refused. The dice are the simulation's (``rng``), so a
    seed replays the same failures."""

    name = PROVIDER
    rng: ClassVar[random.Random] = random.Random(0)
    refunded: ClassVar[set[str]] = set()  # keys the "bank" refunded, answer lost or not
    calls_failed: ClassVar[int] = 0

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart(provider_payment_id=f"SIM-{request.payment_id}", status="pending")

    def refund(self, request: RefundRequest) -> RefundResult:
        key = f"refund-{request.refund_id}"
        if key not in self.refunded and self.rng.random() < P_REFUND_ANSWER_LOST:
            type(self).refunded.add(key)
            type(self).calls_failed += 1
            return RefundResult(status="unknown", error="Simulated: the answer was lost.")
        type(self).refunded.add(key)
        return RefundResult(status="succeeded", provider_refund_id=f"SIMRF-{request.refund_id}")

    def payout(self, request: PayoutRequest) -> PayoutResult:
        if self.rng.random() < P_PAYOUT_FAILS:
            type(self).calls_failed += 1
            return PayoutResult(status="failed", error="Simulated: the transfer was refused.")
        return PayoutResult(status="paid", provider_transfer_id=f"SIMTR-{request.reference}")
