"""Two operators starting the same settlement run at the same moment pay every party once."""

import threading

import pytest

from billing import services
from billing.models import LedgerTransaction, Payout, SettlementRun
from billing.money import Money
from billing.providers.base import PayoutResult
from billing.providers.manual import ManualProvider
from billing.settlement import settlement_retry, settlement_run
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class SlowCountingProvider(ManualProvider):
    """Pays at once, slowly enough for the other operator to arrive, and counts each call."""

    calls: list[str] = []
    lock = threading.Lock()

    def payout(self, request):
        with self.lock:
            self.calls.append(request.idempotency_key)
        threading.Event().wait(0.02)
        return PayoutResult(status="paid", provider_transfer_id=f"tr_{request.reference}")


@pytest.fixture
def counting_provider(settings):
    """Settlement pays through SlowCountingProvider, with a fresh count."""
    settings.PAYMENT_PROVIDER_CLASSES = {
        "counting": "tests.services.test_settlement_race.SlowCountingProvider"
    }
    SlowCountingProvider.calls = []
    return SlowCountingProvider


def _operator(name):
    platform = OrganizationFactory(kind="platform", name=f"Ops {name}")
    user = UserFactory(email=f"{name}@example.com")
    MembershipFactory(user=user, organization=platform)
    return user


def _released_payouts(count):
    party = OrganizationFactory(kind="workshop")
    return [
        services.payout_create(
            party=party,
            amount=Money(1000 + i, "EUR"),
            idempotency_key=f"share:{i}:bob",
            order_id=i,
            provider="counting",
        )
        for i in range(count)
    ]


def test_two_operators_starting_the_same_run_at_once_pay_each_payout_once(
    postgres, counting_provider
):
    olga, oscar = _operator("olga"), _operator("oscar")
    payouts = _released_payouts(8)

    def start(user):
        return lambda: settlement_run(
            operator=user,
            currency="EUR",
            provider="counting",
        )

    outcomes = in_parallel(start(olga), start(oscar), start(olga), start(oscar))

    assert all(isinstance(o, SettlementRun) for o in outcomes), outcomes
    assert SettlementRun.objects.count() == 1
    assert len({o.pk for o in outcomes}) == 1
    run = SettlementRun.objects.get()
    assert run.status == SettlementRun.Status.COMPLETED
    assert run.paid_count == 8
    assert sorted(SlowCountingProvider.calls) == sorted(f"cf-{p.idempotency_key}" for p in payouts)
    assert LedgerTransaction.objects.filter(kind="payout").count() == 8
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}


def test_two_operators_retrying_a_partial_run_at_once_pay_the_rest_once(
    postgres, counting_provider
):
    olga, oscar = _operator("olga"), _operator("oscar")
    payouts = _released_payouts(4)
    run = SettlementRun.objects.create(
        currency="EUR",
        provider="counting",
        status=SettlementRun.Status.PARTIAL,
    )

    outcomes = in_parallel(
        lambda: settlement_retry(run=SettlementRun.objects.get(pk=run.pk), operator=olga),
        lambda: settlement_retry(run=SettlementRun.objects.get(pk=run.pk), operator=oscar),
    )

    assert all(isinstance(o, SettlementRun) for o in outcomes), outcomes
    run.refresh_from_db()
    assert run.status == SettlementRun.Status.COMPLETED
    assert run.attempts == 2  # one retry started, the other saw it running
    assert sorted(SlowCountingProvider.calls) == sorted(f"cf-{p.idempotency_key}" for p in payouts)
    assert LedgerTransaction.objects.filter(kind="payout").count() == 4
