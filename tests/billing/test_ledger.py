"""The ledger: balanced, append-only, idempotent, corrected only by reversals."""

import contextlib
import itertools

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import include, path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from billing import services
from billing.errors import (
    AlreadyReversed,
    Conflict,
    IdempotencyConflict,
    ImmutableRecord,
    RefundNotAllowed,
    UnbalancedTransaction,
)
from billing.ledger import Posting, account_for, ledger_post, ledger_reverse
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment, Payout
from billing.money import Money, allocate
from billing.selectors import account_balance, available_for_order, balances_for_organization
from billing.sharing import PartyContribution, order_split
from config import urls as config_urls
from tests.factories import OrganizationFactory
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db

# The routes the lead will add to config/urls.py, until then served from this module.
urlpatterns = [
    path("api/v1/", include("billing.api.urls")),
    path("", include("billing.urls")),
    *config_urls.urlpatterns,
]

Kind = LedgerAccount.Kind


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


@pytest.fixture
def clearing():
    return account_for(kind=Kind.PROVIDER_CLEARING, currency="EUR")


@pytest.fixture
def held():
    customer = OrganizationFactory(kind=Organization.Kind.CUSTOMER)
    return account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency="EUR", owner=customer)


def post(clearing, held, minor=1000, key="k1"):
    return ledger_post(
        entries=[Posting(clearing, eur(-minor)), Posting(held, eur(minor))],
        description="Payment",
        order_id=7,
        kind=LedgerTransaction.Kind.PAYMENT,
        idempotency_key=key,
    )


def test_a_balanced_posting_moves_the_balances(clearing, held):
    post(clearing, held)
    assert account_balance(account=clearing) == eur(-1000)
    assert account_balance(account=held) == eur(1000)


def test_an_unbalanced_posting_is_refused_and_nothing_is_written(clearing, held):
    with pytest.raises(UnbalancedTransaction, match=r"sum to 0\.01 EUR"):
        ledger_post(
            entries=[Posting(clearing, eur(-1000)), Posting(held, eur(1001))],
            description="Payment",
            order_id=7,
            kind=LedgerTransaction.Kind.PAYMENT,
            idempotency_key="bad",
        )
    assert not LedgerTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_each_currency_must_balance_on_its_own(clearing, held):
    usd = account_for(kind=Kind.PROVIDER_CLEARING, currency="USD")
    with pytest.raises(UnbalancedTransaction):
        ledger_post(
            entries=[Posting(clearing, eur(-1000)), Posting(usd, Money(1000, "USD"))],
            description="FX",
            order_id=None,
            kind=LedgerTransaction.Kind.ADJUSTMENT,
            idempotency_key="fx",
        )
    assert not LedgerTransaction.objects.exists()


def test_a_zero_entry_is_refused_by_the_service_and_by_the_database(clearing, held):
    with pytest.raises(UnbalancedTransaction):
        ledger_post(
            entries=[Posting(clearing, eur(0)), Posting(held, eur(0))],
            description="Nothing",
            order_id=None,
            kind=LedgerTransaction.Kind.ADJUSTMENT,
            idempotency_key="zero",
        )
    first = post(clearing, held)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(transaction=first, account=held, amount_minor=0, currency="EUR")


def test_posting_the_same_key_twice_returns_the_first_transaction(clearing, held):
    first = post(clearing, held)
    again = post(clearing, held)
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 2


def test_the_same_key_for_other_entries_is_a_conflict(clearing, held):
    post(clearing, held)
    with pytest.raises(IdempotencyConflict):
        post(clearing, held, minor=999)


def test_a_reversal_negates_every_entry_and_cannot_be_repeated(clearing, held):
    original = post(clearing, held)
    reversal = ledger_reverse(transaction=original)
    assert reversal.reverses == original
    assert reversal.kind == LedgerTransaction.Kind.REVERSAL
    assert sorted(reversal.entries.values_list("amount_minor", flat=True)) == [-1000, 1000]
    assert account_balance(account=held) == eur(0)
    with pytest.raises(AlreadyReversed):
        ledger_reverse(transaction=original)
    assert LedgerTransaction.objects.count() == 2


def test_ledger_rows_refuse_updates_and_deletes(clearing, held):
    txn = post(clearing, held)
    entry = txn.entries.first()
    entry.amount_minor = 5
    with pytest.raises(ImmutableRecord):
        entry.save()
    txn.description = "changed"
    with pytest.raises(ImmutableRecord):
        txn.save()
    with pytest.raises(ImmutableRecord):
        txn.delete()
    with pytest.raises(ImmutableRecord):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=1)
    with pytest.raises(ImmutableRecord):
        LedgerEntry.objects.all().delete()
    with pytest.raises(ImmutableRecord):
        clearing.delete()
    assert (
        LedgerEntry.objects.get(pk=entry.pk).amount_minor
        == entry.account.entries.get(pk=entry.pk).amount_minor
    )


def test_platform_accounts_have_no_owner_and_accounts_are_unique(held):
    with pytest.raises(ValueError, match="platform account"):
        account_for(kind=Kind.PLATFORM_REVENUE, currency="EUR", owner=held.owner)
    assert account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency="EUR", owner=held.owner) == held
    LedgerAccount.objects.create(kind=Kind.PROVIDER_CLEARING, currency="EUR")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(kind=Kind.PROVIDER_CLEARING, currency="EUR")


def test_balances_for_organization_lists_each_account_once(held, clearing):
    post(clearing, held, key="a")
    post(clearing, held, minor=500, key="b")
    assert balances_for_organization(organization=held.owner) == [(held, eur(1500))]


# -- API ------------------------------------------------------------------------------------
@pytest.mark.urls("tests.billing.test_ledger")
def test_each_organization_sees_only_its_own_balances_and_payments(
    customer_alice, workshop_bob, operator_olga
):
    alice_org = customer_alice.memberships.get().organization
    payment, _ = services.payment_start(
        order_id=1,
        reference="ORD-1",
        amount=eur(31000),
        payer=alice_org,
        customer_email=customer_alice.email,
    )
    services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))

    alice = api_client_for(customer_alice)
    balances = alice.get("/api/v1/billing/balances/").json()
    assert balances == [
        {
            "kind": "customer_funds_held",
            "currency": "EUR",
            "balance_minor": 31000,
            "balance": "310.00 EUR",
        }
    ]
    assert alice.get("/api/v1/billing/payments/").json()["count"] == 1
    bob = api_client_for(workshop_bob)
    assert bob.get("/api/v1/billing/balances/").json() == []
    assert bob.get("/api/v1/billing/payments/").json()["count"] == 0
    assert api_client_for(operator_olga).get("/api/v1/billing/payments/").json()["count"] == 1
    assert api_client_for(operator_olga).get("/api/v1/billing/payouts/").status_code == 200


# -- the property: whatever happens, the ledger balances -----------------------------------
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "refund", "release", "payout", "reverse"]),
        st.integers(min_value=1, max_value=50_000),
        st.sampled_from(["EUR", "USD"]),
    ),
    min_size=1,
    max_size=10,
)


class _Rollback(Exception):
    pass


def _release(payment: Payment, parties: list[Organization]) -> None:
    total = payment.amount
    fee = Money(total.minor // 10, total.currency)
    prices = allocate(Money(total.minor * 7 // 10, total.currency), [2, 1])
    split = order_split(
        customer_price=total,
        platform_fee=fee,
        parties=[
            PartyContribution(party_id="bob", price=prices[0], runner_up_price=None),
            PartyContribution(
                party_id="leg", price=prices[1], runner_up_price=None, kind="carrier", days_late=2
            ),
        ],
    )
    services.funds_release(
        payment=payment, split=split, parties={"bob": parties[0], "leg": parties[1]}
    )


def _check_invariants() -> None:
    unbalanced = (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
    per_currency = LedgerEntry.objects.values("currency").annotate(total=Sum("amount_minor"))
    assert all(row["total"] == 0 for row in per_currency)
    for account in LedgerAccount.objects.all():
        entries = [e.amount_minor for e in LedgerEntry.objects.filter(account=account)]
        assert account_balance(account=account) == Money(sum(entries), account.currency)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_the_ledger_always_balances(operations, customer_alice, workshop_bob, operator_olga):
    alice_org = customer_alice.memberships.get().organization
    parties = [
        workshop_bob.memberships.get().organization,
        OrganizationFactory(kind=Organization.Kind.LOGISTICS),
    ]
    order_ids = itertools.count(1)
    try:
        with transaction.atomic():
            for op, number, currency in operations:
                payments = list(Payment.objects.filter(status__in=["confirmed"]).order_by("id"))
                if op == "pay":
                    payment, _ = services.payment_start(
                        order_id=next(order_ids),
                        reference="ORD",
                        amount=Money(number, currency),
                        payer=alice_org,
                        customer_email="alice@example.com",
                    )
                    services.payment_confirm_manual(
                        operator=operator_olga, payment=payment, amount=payment.amount
                    )
                elif op == "refund" and payments:
                    payment = payments[number % len(payments)]
                    available = available_for_order(payment.order_id).minor
                    amount = Money(min(number, payment.refundable.minor), payment.currency)
                    if amount.minor > available:  # beyond the escrow: refused, nothing written
                        with pytest.raises(RefundNotAllowed):
                            services.payment_refund(payment=payment, amount=amount)
                    else:
                        services.payment_refund(payment=payment, amount=amount)
                elif op == "release" and payments:
                    # After a refund the full price is more than the order holds: refused.
                    with contextlib.suppress(Conflict):
                        _release(payments[number % len(payments)], parties)
                elif op == "payout":
                    pending = list(Payout.objects.filter(status="pending").order_by("id"))
                    if pending:
                        payout = services.payout_execute(payout=pending[number % len(pending)])
                        services.payout_confirm_manual(operator=operator_olga, payout=payout)
                elif op == "reverse":
                    candidates = list(
                        LedgerTransaction.objects.filter(reversed_by=None).order_by("id")
                    )
                    if candidates:
                        ledger_reverse(transaction=candidates[number % len(candidates)])
                _check_invariants()
            raise _Rollback
    except _Rollback:
        pass
