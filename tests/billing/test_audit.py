"""The money audit: each invariant caught on an order crafted to break it, nothing on a clean
one; the audit_money command's exit code and JSON; the operator page."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.audit import AcceptedWork, OrderFacts, money_audit, payout_delays, percentile
from billing.ledger import Posting, account_for, ledger_post, ledger_transfer
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment
from billing.money import Money
from billing.payouts import payout_create
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
ORDER = 9001


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


@pytest.fixture
def alice_org(customer_alice):
    return organization_of(customer_alice)


@pytest.fixture
def bob_org(workshop_bob):
    return organization_of(workshop_bob)


def _pay(customer, minor: int, order_id: int = ORDER) -> Payment:
    payment = Payment.objects.create(
        order_id=order_id,
        reference=f"CF-{order_id}",
        payer=customer,
        provider="manual",
        amount_minor=minor,
        currency="EUR",
        status=Payment.Status.CONFIRMED,
        confirmed_amount_minor=minor,
    )
    _move(
        Kind.PROVIDER_CLEARING,
        None,
        Kind.CUSTOMER_FUNDS_HELD,
        customer,
        minor,
        "payment",
        f"payment:{payment.pk}",
        order_id,
    )
    return payment


def _move(src_kind, src_owner, dst_kind, dst_owner, minor, kind, key, order_id=ORDER):
    return ledger_transfer(
        source=account_for(kind=src_kind, currency="EUR", owner=src_owner),
        destination=account_for(kind=dst_kind, currency="EUR", owner=dst_owner),
        amount=eur(minor),
        description=key,
        order_id=order_id,
        kind=kind,
        idempotency_key=key,
    )


def _release_price(customer, party, minor, *, payout=True, order_id=ORDER):
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        customer,
        Kind.WORKSHOP_PAYABLE,
        party,
        minor,
        "release",
        f"release-price:{order_id}:job-1",
        order_id,
    )
    if payout:
        payout_create(
            party=party,
            amount=eur(minor),
            idempotency_key=f"price:{order_id}:job-1",
            order_id=order_id,
            provider="manual",
        )


def _facts(*, closed=True, accepted=()) -> dict[int, OrderFacts]:
    return {
        ORDER: OrderFacts(
            order_id=ORDER,
            reference="CF-9001",
            status="completed" if closed else "in_production",
            closed=closed,
            accepted=tuple(accepted),
        )
    }


def _clean_order(customer, party):
    """100.00 paid; 80.00 released to Bob with his payout, 20.00 platform fee."""
    payment = _pay(customer, 10000)
    _release_price(customer, party, 8000)
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        customer,
        Kind.PLATFORM_REVENUE,
        None,
        2000,
        "release",
        f"release:{ORDER}",
    )
    return payment


def _only(audit):
    assert len(audit.orders) == 1
    return audit.orders[0]


def test_a_clean_closed_order_breaks_nothing(alice_org, bob_org):
    _clean_order(alice_org, bob_org)
    work = AcceptedWork(party_id="job-1", organization_id=bob_org.pk, price=eur(8000))
    audit = money_audit(facts=_facts(accepted=[work]), order_ids=[ORDER])
    order = _only(audit)
    assert audit.ok
    assert order.problems == ()
    assert (order.money_in, order.money_out, order.held) == (eur(10000), eur(10000), eur(0))
    assert (order.released, order.fee) == (eur(8000), eur(2000))
    assert audit.counts() == {
        "ledger_unbalanced": 0,
        "orders_negative_escrow": 0,
        "orders_with_money_stuck": 0,
        "parties_unpaid_for_accepted_work": 0,
        "payouts_not_opened": 0,
        "money_created_minor": 0,
        "orders_vat_mismatch": 0,
    }


def test_a_refund_of_money_already_released_is_negative_escrow_and_money_created(
    alice_org, bob_org
):
    _clean_order(alice_org, bob_org)
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        alice_org,
        Kind.PROVIDER_CLEARING,
        None,
        3000,
        "refund",
        "refund:1",
    )
    order = _only(money_audit(facts=_facts(), order_ids=[ORDER]))
    assert order.negative_escrow
    assert (order.lowest_held, order.held) == (eur(-3000), eur(-3000))
    assert order.money_created == eur(3000)
    assert order.refunded == eur(3000)
    assert order.money_stuck  # closed, and out exceeds in


def test_escrow_that_dipped_below_zero_and_came_back_is_still_caught(alice_org, bob_org):
    """Released before the money arrived: the order ends at zero, but went negative."""
    _release_price(alice_org, bob_org, 10000)
    _pay(alice_org, 10000)
    order = _only(money_audit(facts=_facts(), order_ids=[ORDER]))
    assert order.held == eur(0)
    assert order.lowest_held == eur(-10000)
    assert order.negative_escrow


def test_a_closed_order_still_holding_money_is_stuck(alice_org, bob_org):
    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 6000)
    audit = money_audit(facts=_facts(), order_ids=[ORDER])
    order = _only(audit)
    assert order.money_stuck
    assert order.held == eur(4000)
    assert (order.money_in, order.money_out) == (eur(10000), eur(6000))
    assert audit.counts()["orders_with_money_stuck"] == 1


def test_the_same_order_still_open_is_not_stuck(alice_org, bob_org):
    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 6000)
    assert money_audit(facts=_facts(closed=False), order_ids=[ORDER]).ok


def test_a_rebate_credited_and_never_paid_is_stuck(alice_org, bob_org):
    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 9000)
    ledger_post(
        entries=[
            Posting(
                account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency="EUR", owner=alice_org),
                eur(-1000),
            ),
            Posting(account_for(kind=Kind.REFUNDS, currency="EUR", owner=alice_org), eur(1000)),
        ],
        description="release",
        order_id=ORDER,
        kind="release",
        idempotency_key=f"release:{ORDER}",
    )
    order = _only(money_audit(facts=_facts(), order_ids=[ORDER]))
    assert order.held == eur(0)
    assert order.money_in == order.money_out
    assert order.rebate_unpaid == eur(1000)
    assert order.money_stuck


def test_accepted_work_not_released_is_a_party_unpaid(alice_org, bob_org):
    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 3000)
    work = [
        AcceptedWork(party_id="job-1", organization_id=bob_org.pk, price=eur(3000)),
        AcceptedWork(party_id="job-2", organization_id=bob_org.pk, price=eur(4500)),
    ]
    audit = money_audit(facts=_facts(closed=False, accepted=work), order_ids=[ORDER])
    (short,) = _only(audit).unpaid_parties
    assert short.organization_id == bob_org.pk
    assert short.party_ids == ("job-1", "job-2")
    assert (short.accepted, short.released, short.missing) == (eur(7500), eur(3000), eur(4500))
    assert audit.counts()["parties_unpaid_for_accepted_work"] == 1


def test_a_released_payable_without_its_payout_is_a_gap(alice_org, bob_org):
    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 6000, payout=False)
    (gap,) = _only(money_audit(facts=_facts(closed=False), order_ids=[ORDER])).payout_gaps
    assert (gap.organization_id, gap.released, gap.payouts_opened) == (
        bob_org.pk,
        eur(6000),
        eur(0),
    )


def test_an_unbalanced_transaction_is_listed(alice_org):
    _pay(alice_org, 10000)
    broken = LedgerTransaction.objects.create(
        kind="adjustment", description="hand-made", order_id=ORDER, idempotency_key="broken:1"
    )
    LedgerEntry.objects.create(
        transaction=broken,
        account=account_for(kind=Kind.PLATFORM_REVENUE, currency="EUR"),
        amount_minor=500,
        currency="EUR",
    )
    audit = money_audit(facts={}, order_ids=[ORDER])
    (posting,) = audit.unbalanced
    assert (posting.transaction_id, posting.order_id, posting.total) == (broken.pk, ORDER, eur(500))
    assert not audit.ok


def test_payout_delays_count_an_unpaid_payout_until_now(alice_org, bob_org):
    import datetime as dt

    _pay(alice_org, 10000)
    _release_price(alice_org, bob_org, 6000)
    (delay,) = payout_delays(order_ids=[ORDER])
    later = delay.opened_at + dt.timedelta(hours=30)
    assert payout_delays(order_ids=[ORDER], now=later)[0].hours == pytest.approx(30)
    assert percentile([1, 2, 3, 4, 100], 95) == 100
    assert percentile([float(h) for h in range(1, 21)], 95) == 19
    assert percentile([], 95) == 0


# -- the command ----------------------------------------------------------------------------
def _run_command(*args):
    out = StringIO()
    try:
        call_command("audit_money", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_command_exits_0_and_says_so_when_the_money_adds_up(alice_org, bob_org):
    _pay(alice_org, 10000)
    code, out = _run_command()
    assert code == 0
    assert "the money adds up" in out


def test_the_command_exits_1_with_the_breaking_order_in_json(alice_org, bob_org):
    _clean_order(alice_org, bob_org)
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        alice_org,
        Kind.PROVIDER_CLEARING,
        None,
        3000,
        "refund",
        "refund:1",
    )
    code, out = _run_command("--json")
    assert code == 1
    body = json.loads(out)
    assert body["ok"] is False
    assert body["orders_negative_escrow"] == 1
    assert body["money_created_minor"] == 3000
    (order,) = body["breaking_orders"]
    assert order["order_id"] == ORDER
    assert order["held_minor"] == -3000


def test_the_command_table_lists_the_breaking_order(alice_org, bob_org):
    _clean_order(alice_org, bob_org)
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        alice_org,
        Kind.PROVIDER_CLEARING,
        None,
        3000,
        "refund",
        "refund:1",
    )
    code, out = _run_command()
    assert code == 1
    assert "CF-9001" in out
    assert "-30.00 EUR" in out
    assert "escrow went below zero" in out


# -- the page -------------------------------------------------------------------------------
def test_operators_see_the_empty_state(client, operator_olga):
    client.force_login(operator_olga)
    response = client.get(reverse("billing_audit"))
    assert response.status_code == 200
    assert "Nothing breaks" in response.content.decode()


def test_operators_see_each_breaking_order_with_its_amounts(
    client, operator_olga, alice_org, bob_org
):
    _clean_order(alice_org, bob_org)
    _move(
        Kind.CUSTOMER_FUNDS_HELD,
        alice_org,
        Kind.PROVIDER_CLEARING,
        None,
        3000,
        "refund",
        "refund:1",
    )
    client.force_login(operator_olga)
    page = client.get(reverse("billing_audit")).content.decode()
    assert "CF-9001" in page
    assert "-30.00 EUR" in page
    assert "Nothing breaks" not in page


@pytest.mark.parametrize("persona", ["customer_alice", "workshop_bob"])
def test_members_who_are_not_operators_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("billing_audit")).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("billing_audit"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_operator_navigation_links_the_audit(client, operator_olga):
    client.force_login(operator_olga)
    assert reverse("billing_audit") in client.get(reverse("billing_settlements")).content.decode()
