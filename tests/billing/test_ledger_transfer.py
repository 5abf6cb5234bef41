"""ledger_transfer: the two-leg posting every payment, refund, release and payout goes through."""

from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from billing.errors import IdempotencyConflict, InvalidTransfer
from billing.ledger import account_for, ledger_transfer
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction
from billing.money import Money
from billing.selectors import account_balance
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


@pytest.fixture
def clearing_and_held():
    """The provider's clearing account and a customer's funds held, both in euros."""
    customer = OrganizationFactory(kind=Organization.Kind.CUSTOMER)
    return (
        account_for(kind=Kind.PROVIDER_CLEARING, currency="EUR"),
        account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency="EUR", owner=customer),
    )


def transfer(source, destination, amount, key="t1"):
    return ledger_transfer(
        source=source,
        destination=destination,
        amount=amount,
        description="Payment ORD-1 received",
        order_id=7,
        kind=LedgerTransaction.Kind.PAYMENT,
        idempotency_key=key,
    )


def test_a_transfer_posts_two_entries_that_sum_to_zero(clearing_and_held):
    clearing, held = clearing_and_held
    posted = transfer(clearing, held, eur(1250))
    legs = dict(posted.entries.values_list("account_id", "amount_minor"))
    assert legs == {clearing.pk: -1250, held.pk: 1250}
    assert posted.description == "Payment ORD-1 received"
    assert posted.order_id == 7
    assert posted.kind == LedgerTransaction.Kind.PAYMENT
    assert posted.idempotency_key == "t1"
    assert account_balance(account=clearing) == eur(-1250)
    assert account_balance(account=held) == eur(1250)


@pytest.mark.parametrize("minor", [0, -1, -1250])
def test_a_zero_or_negative_amount_is_refused_and_nothing_is_written(clearing_and_held, minor):
    clearing, held = clearing_and_held
    with pytest.raises(InvalidTransfer, match="more than zero"):
        transfer(clearing, held, eur(minor))
    assert not LedgerTransaction.objects.exists()


def test_mixed_currencies_are_refused_and_nothing_is_written(clearing_and_held):
    clearing, held = clearing_and_held
    usd_clearing = account_for(kind=Kind.PROVIDER_CLEARING, currency="USD")
    with pytest.raises(InvalidTransfer, match="USD"):
        transfer(usd_clearing, held, eur(100))
    with pytest.raises(InvalidTransfer, match="USD"):
        transfer(clearing, held, Money(100, "USD"))
    assert not LedgerTransaction.objects.exists()


def test_a_transfer_needs_two_different_accounts(clearing_and_held):
    _, held = clearing_and_held
    with pytest.raises(InvalidTransfer, match="two accounts"):
        transfer(held, held, eur(100))
    assert not LedgerTransaction.objects.exists()


def test_a_transfer_is_idempotent_on_its_key(clearing_and_held):
    clearing, held = clearing_and_held
    first = transfer(clearing, held, eur(500))
    again = transfer(clearing, held, eur(500))
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 2
    with pytest.raises(IdempotencyConflict):
        transfer(clearing, held, eur(499))
    with pytest.raises(IdempotencyConflict):
        transfer(held, clearing, eur(500))
    assert LedgerEntry.objects.count() == 2


# -- the property: any sequence of transfers leaves every currency balanced ----------------
TRANSFERS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5),  # source, an index into the accounts
        st.integers(min_value=0, max_value=5),  # destination
        st.integers(min_value=-100, max_value=1_000_000),  # amount in minor units
        st.sampled_from(["EUR", "USD"]),
        st.booleans(),  # repeat the previous transfer's key instead of a new one
    ),
    min_size=1,
    max_size=15,
)


class _Rollback(Exception):
    pass


def _accounts(currency: str) -> list[LedgerAccount]:
    customer = Organization.objects.get(name="Transfer customer")
    workshop = Organization.objects.get(name="Transfer workshop")
    return [
        account_for(kind=Kind.PROVIDER_CLEARING, currency=currency),
        account_for(kind=Kind.PLATFORM_REVENUE, currency=currency),
        account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency=currency, owner=customer),
        account_for(kind=Kind.REFUNDS, currency=currency, owner=customer),
        account_for(kind=Kind.WORKSHOP_PAYABLE, currency=currency, owner=workshop),
        account_for(kind=Kind.CARRIER_PAYABLE, currency=currency, owner=workshop),
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(transfers=TRANSFERS)
def test_the_ledger_stays_balanced_per_currency_after_any_transfers(transfers):
    try:
        with transaction.atomic():
            OrganizationFactory(name="Transfer customer", kind=Organization.Kind.CUSTOMER)
            OrganizationFactory(name="Transfer workshop", kind=Organization.Kind.WORKSHOP)
            expected: Counter[int] = Counter()
            posted: dict[str, tuple[int, int, int]] = {}
            last_key = None
            for step, (source, destination, minor, currency, repeat) in enumerate(transfers):
                accounts = _accounts(currency)
                key = last_key if repeat and last_key else f"transfer:{step}"
                legs = (accounts[source].pk, accounts[destination].pk, minor)
                valid = minor > 0 and source != destination
                replay = posted.get(key)
                try:
                    transfer(accounts[source], accounts[destination], Money(minor, currency), key)
                except InvalidTransfer:
                    assert not valid
                except IdempotencyConflict:
                    assert valid
                    assert replay not in (None, legs)
                else:
                    assert valid
                    assert replay in (None, legs)
                    if replay is None:
                        posted[key] = legs
                        expected[accounts[source].pk] -= minor
                        expected[accounts[destination].pk] += minor
                    last_key = key
                _check_balanced(expected)
            raise _Rollback
    except _Rollback:
        pass


def _check_balanced(expected: Counter[int]) -> None:
    per_transaction = LedgerEntry.objects.values("transaction_id").annotate(
        total=Sum("amount_minor")
    )
    assert all(row["total"] == 0 for row in per_transaction)
    assert all(
        count == 2
        for count in Counter(LedgerEntry.objects.values_list("transaction_id", flat=True)).values()
    )
    per_currency = LedgerEntry.objects.values("currency").annotate(total=Sum("amount_minor"))
    assert all(row["total"] == 0 for row in per_currency)
    for account in LedgerAccount.objects.all():
        assert account_balance(account=account).minor == expected[account.pk]
