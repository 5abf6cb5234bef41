"""Races on the real PostgreSQL: money moves once when two workers act at the same moment."""

import threading

import pytest

from billing import services
from billing.models import LedgerTransaction, Payment, Payout
from billing.money import Money
from billing.providers.manual import ManualProvider
from tests.factories import OrganizationFactory
from tests.factories.billing import PaymentFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class CountingProvider(ManualProvider):
    """A provider that pays at once and counts how often it was asked to."""

    calls: list[str] = []
    lock = threading.Lock()

    def payout(self, request):
        with self.lock:
            self.calls.append(request.idempotency_key)
        from billing.providers.base import PayoutResult

        return PayoutResult(status="paid", provider_transfer_id=f"tr_{request.reference}")


def test_two_workers_confirming_one_payment_post_one_transaction(postgres):
    for _ in range(5):
        payment = PaymentFactory()

        def confirm(payment=payment):
            return services.payment_confirm(
                payment=payment, amount=payment.amount, provider_reference="x"
            )

        outcomes = in_parallel(confirm, confirm, confirm, confirm)
        assert all(isinstance(o, Payment) for o in outcomes), outcomes
        assert (
            LedgerTransaction.objects.filter(idempotency_key=f"payment:{payment.pk}").count() == 1
        )
        payment.refresh_from_db()
        assert payment.status == Payment.Status.CONFIRMED


def test_two_payouts_of_the_same_share_with_the_same_key_pay_once(postgres, settings):
    settings.PAYMENT_PROVIDER_CLASSES = {
        "counting": "tests.services.test_ledger_race.CountingProvider"
    }
    CountingProvider.calls = []
    party = OrganizationFactory(kind="workshop")
    for round_ in range(5):
        key = f"share:{round_}:bob"

        def pay(key=key, round_=round_):
            payout = services.payout_create(
                party=party,
                amount=Money(14000, "EUR"),
                idempotency_key=key,
                order_id=round_,
                provider="counting",
            )
            return services.payout_execute(payout=payout)

        outcomes = in_parallel(pay, pay, pay)
        assert all(isinstance(o, Payout) for o in outcomes), outcomes
        assert Payout.objects.filter(idempotency_key=key).count() == 1
        assert Payout.objects.get(idempotency_key=key).status == Payout.Status.PAID
        assert CountingProvider.calls.count(f"cf-{key}") == 1
        assert LedgerTransaction.objects.filter(kind="payout", order_id=round_).count() == 1
