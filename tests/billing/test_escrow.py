"""Escrow: prices released on acceptance, margins at completion, frozen while disputed.

Drives real orders through the services on the small network (two mills, an anodizer, one
carrier): part 1 and part 2 are milled and deburred in Stuttgart, anodized in Nuremberg and
assembled back in Stuttgart, so every order has four legs between workshops and one to the
customer. The marketplace hooks (`release_on_handover`, `release_on_delivery`) are called
here where `marketplace/orders/` will call them after commit.
"""

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Organization
from billing import services
from billing.errors import Conflict
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payout
from billing.money import Money, allocate
from billing.selectors import held_for_order
from billing.sharing import PartyContribution, order_split
from billing.statements import order_statement
from marketplace.orders.escrow import (
    order_release,
    refund_held,
    release_on_delivery,
    release_on_handover,
    release_overdue,
)
from marketplace.orders.flow import OrderStatus
from marketplace.orders.services import (
    order_cancel,
    order_complete,
    order_confirm_delivery,
    order_dispute,
    order_resolve_dispute,
)
from marketplace.orders.shipments import shipment_receive
from tests.billing.escrow_story import (
    accepted_by,
    advance,
    all_parties,
    assert_ledger_balanced,
    assert_settled_to_the_cent,
    eur,
    order_entries,
    paid_order,
    receive_leg,
    released_prices_of,
)
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]

Kind = LedgerAccount.Kind


# -- the story ------------------------------------------------------------------------------
def test_prices_are_released_at_each_handover_and_margins_at_completion(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    assert held_for_order(order.pk) == eur(order.price_minor)
    assert released_prices_of(order) == {}

    received = advance(order, small_network, customer_alice, capture)
    assert len(received) == 4
    expected: dict[str, int] = {}
    for leg, posted in received:
        accepted = accepted_by(leg)
        # each receipt releases exactly the leg and its part's steps at the leg's origin
        assert {t.idempotency_key for t in posted} == {
            f"release-price:{order.pk}:{party}" for party in accepted
        }
        expected.update(accepted)
        assert_ledger_balanced()
    assert released_prices_of(order) == expected
    assembly = order.jobs.get(job_key="assembly")
    assert f"job-{assembly.pk}" not in expected  # its work has not been accepted yet
    prices = Payout.objects.filter(order_id=order.pk, idempotency_key__startswith="price:")
    assert {p.idempotency_key: p.amount_minor for p in prices} == {
        f"price:{order.pk}:{party}": minor for party, minor in expected.items()
    }
    assert held_for_order(order.pk) == eur(order.price_minor - sum(expected.values()))

    # The customer confirms delivery: the last leg and the assembly are accepted.
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
    release_on_delivery(order=order)
    order.refresh_from_db()
    everything = all_parties(order)
    assert released_prices_of(order) == everything
    assert sum(everything.values()) == order.cost_minor
    assert held_for_order(order.pk) == eur(order.price_minor - order.cost_minor)
    assert not Payout.objects.filter(order_id=order.pk, idempotency_key__startswith="share:")
    assert_ledger_balanced()

    with capture(execute=True):
        order_complete(user=customer_alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert_settled_to_the_cent(order, payment)
    shares = Payout.objects.filter(order_id=order.pk, idempotency_key__startswith="share:")
    assert shares.exists()
    assert sum(p.amount_minor for p in shares) == (
        order.price_minor
        - order.cost_minor
        - order_entries(order, Kind.PLATFORM_REVENUE)
        - order_entries(order, Kind.REFUNDS)
    )

    # Statements show full payables and add up to what the customer paid.
    customer = order_statement(organization=order.organization, order_id=order.pk)
    assert customer.total == eur(order.price_minor) == customer.amount_paid
    bob = small_network["stuttgart"].organization
    statement = order_statement(organization=bob, order_id=order.pk)
    assert statement.total == Money(sum(p.amount.minor for p in statement.payouts), "EUR")
    assert {p.key.split(":")[0] for p in statement.payouts} == {"price", "share"}

    # Every hook again: nothing new is posted or opened.
    counts = (LedgerTransaction.objects.count(), Payout.objects.count())
    for leg, _ in received:
        assert release_on_handover(shipment=leg) == []
    assert release_on_delivery(order=order) == []
    assert release_overdue(now=timezone.now() + timedelta(days=30)) == []
    order_release(order=order)
    assert (LedgerTransaction.objects.count(), Payout.objects.count()) == counts


def test_a_leg_not_received_yet_releases_nothing(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, _ = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture, receive=False)
    for leg in order.shipments.filter(status="in_transit"):
        assert release_on_handover(shipment=leg) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert release_on_delivery(order=order) == []  # not delivered yet
    assert released_prices_of(order) == {}
    assert held_for_order(order.pk) == eur(order.price_minor)


def test_nothing_is_released_while_disputed_and_completion_releases_the_rest(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    ((first, posted),) = advance(order, small_network, customer_alice, capture, max_receipts=1)
    assert posted
    before = released_prices_of(order)
    assert before == accepted_by(first)

    with capture(execute=True):
        order_dispute(user=customer_alice, order=order, reason="The anodizing is patchy")
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    later = advance(order, small_network, customer_alice, capture)
    assert later
    assert all(posted == [] for _, posted in later)
    assert release_overdue(now=timezone.now() + timedelta(days=30)) == []
    assert release_on_delivery(order=order) == []
    with pytest.raises(Conflict, match="disputed"):
        services.share_price_release(
            payment=payment,
            party_id="job-0",
            organization=small_network["stuttgart"].organization,
            amount=eur(100),
            kind="workshop",
            label="test",
            frozen=True,
        )
    with pytest.raises(Conflict, match="disputed"):
        order_release(order=order)
    assert released_prices_of(order) == before
    assert held_for_order(order.pk) == eur(order.price_minor - sum(before.values()))
    assert_ledger_balanced()

    with capture(execute=True):
        order_resolve_dispute(
            user=operator_olga, order=order, outcome="complete", reason="Within tolerance"
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    payouts = Payout.objects.filter(order_id=order.pk)
    assert payouts.filter(idempotency_key__startswith="share:").exists()
    fee = order_entries(order, Kind.PLATFORM_REVENUE)
    rebate = order_entries(order, Kind.REFUNDS)
    assert sum(p.amount_minor for p in payouts) + fee + rebate == order.price_minor
    assert held_for_order(order.pk) == eur(0)
    assert_ledger_balanced()


def test_a_cancellation_after_partial_release_refunds_only_what_is_held(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    received = advance(order, small_network, customer_alice, capture, max_receipts=2)
    released = sum(released_prices_of(order).values())
    assert released > 0

    with capture(execute=True):
        order_cancel(user=operator_olga, order=order, reason="The customer withdrew")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    # order_cancel refunded what was still held (the same key a second call would use).
    refund = payment.refunds.get(idempotency_key=f"cancel:{order.pk}")
    assert refund.status == "succeeded"
    assert refund.net == eur(order.price_minor - released)
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    assert held_for_order(order.pk) == eur(0)
    assert refund_held(order=order, reason="again") is None
    # The prices released stay with the parties that did the work, payouts still open.
    prices = Payout.objects.filter(order_id=order.pk, idempotency_key__startswith="price:")
    assert sum(p.amount_minor for p in prices) == released
    party_accounts = LedgerEntry.objects.filter(
        transaction__order_id=order.pk,
        account__kind__in=[Kind.WORKSHOP_PAYABLE, Kind.CARRIER_PAYABLE],
    ).aggregate(total=Sum("amount_minor"))["total"]
    assert party_accounts == released
    # A leg received after the cancellation releases nothing.
    for leg in order.shipments.filter(status="in_transit"):
        receive_leg(leg, small_network, customer_alice, capture)
    for leg, _ in received:
        assert release_on_handover(shipment=leg) == []
    assert sum(released_prices_of(order).values()) == released
    assert_ledger_balanced()


def test_legs_not_confirmed_within_the_window_are_released_by_the_timer(
    settings, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    settings.ESCROW_AUTO_RELEASE_DAYS = 3
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture, receive=False)
    now = timezone.now()
    assert release_overdue(now=now) == []
    assert release_overdue(now=now + timedelta(days=2)) == []
    posted = release_overdue(now=now + timedelta(days=4))
    everything = all_parties(order)
    assert len(posted) == len(everything)
    assert released_prices_of(order) == everything
    assert order.shipments.filter(status="in_transit").count() == 5  # still not confirmed
    assert release_overdue(now=now + timedelta(days=5)) == []
    assert_ledger_balanced()

    # Completion counts the legs released in transit: the margin is shared, no price is
    # taken back and the order adds up to the cent.
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
        order_complete(user=customer_alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert_settled_to_the_cent(order, payment)
    negative = LedgerEntry.objects.filter(
        transaction__order_id=order.pk,
        transaction__kind="release",
        account__kind__in=[Kind.WORKSHOP_PAYABLE, Kind.CARRIER_PAYABLE],
        amount_minor__lt=0,
    )
    assert not negative.exists()


def test_a_carrier_confirming_its_own_leg_is_not_an_acceptance(
    settings, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    settings.ESCROW_AUTO_RELEASE_DAYS = 7
    capture = django_capture_on_commit_callbacks
    order, _ = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture, receive=False)
    leg = order.shipments.filter(destination__isnull=False).order_by("pk").first()
    with capture(execute=True):
        shipment_receive(user=small_network["carla"], shipment=leg)
    assert release_on_handover(shipment=leg) == []
    assert release_overdue(now=timezone.now()) == []
    # ... until the window has passed since the handover.
    posted = release_overdue(now=timezone.now() + timedelta(days=7, hours=1))
    assert f"release-price:{order.pk}:leg-{leg.pk}" in {t.idempotency_key for t in posted}


# -- billing on its own ---------------------------------------------------------------------
@pytest.fixture
def held(customer_alice, operator_olga):
    payment, _ = services.payment_start(
        order_id=4242,
        reference="ORD-4242",
        amount=eur(10000),
        payer=customer_alice.memberships.get().organization,
        customer_email=customer_alice.email,
    )
    return payment


def _release(payment, party_id, organization, minor, frozen=False):
    return services.share_price_release(
        payment=payment,
        party_id=party_id,
        organization=organization,
        amount=eur(minor),
        kind="workshop",
        label=party_id,
        frozen=frozen,
    )


def test_share_price_release_posts_once_and_refuses_what_is_not_held(held, operator_olga):
    bob = OrganizationFactory(kind=Organization.Kind.WORKSHOP)
    with pytest.raises(Conflict, match="not confirmed"):
        _release(held, "job-1", bob, 6000)
    services.payment_confirm_manual(operator=operator_olga, payment=held, amount=eur(10000))
    with pytest.raises(Conflict, match="disputed"):
        _release(held, "job-1", bob, 6000, frozen=True)
    first = _release(held, "job-1", bob, 6000)
    assert first.idempotency_key == "release-price:4242:job-1"
    assert _release(held, "job-1", bob, 6000) == first
    assert Payout.objects.get(idempotency_key="price:4242:job-1").amount == eur(6000)
    assert _release(held, "job-0", bob, 0) is None
    with pytest.raises(Conflict, match=r"Only 40\.00 EUR"):
        _release(held, "job-2", bob, 5000)
    assert held_for_order(4242) == eur(4000)

    split = order_split(
        customer_price=eur(10000),
        platform_fee=eur(1000),
        parties=[PartyContribution("job-1", eur(6000), eur(7000))],
    )
    services.funds_release(payment=held, split=split, parties={"job-1": bob})
    assert held_for_order(4242) == eur(0)
    assert Payout.objects.get(idempotency_key="share:4242:job-1").amount == eur(3000)
    with pytest.raises(Conflict, match="released in full"):
        _release(held, "job-3", bob, 100)
    assert_ledger_balanced()


class _Rollback(Exception):
    pass


ORDER_IDS = itertools.count(10_000)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    total=st.integers(min_value=100, max_value=1_000_000),
    weights=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=5),
    released=st.lists(st.booleans(), min_size=5, max_size=5),
    late=st.lists(st.integers(min_value=0, max_value=9), min_size=5, max_size=5),
)
def test_prices_first_then_the_rest_always_add_up_to_the_cent(
    total, weights, released, late, customer_alice, operator_olga
):
    order_id = next(ORDER_IDS)
    alice = customer_alice.memberships.get().organization
    try:
        with transaction.atomic():
            payment, _ = services.payment_start(
                order_id=order_id,
                reference=f"ORD-{order_id}",
                amount=eur(total),
                payer=alice,
                customer_email=customer_alice.email,
            )
            services.payment_confirm_manual(
                operator=operator_olga, payment=payment, amount=payment.amount
            )
            fee = eur(total // 20)
            prices = allocate(eur(total * 8 // 10), weights)
            contributions = [
                PartyContribution(
                    f"p{i}",
                    price,
                    None,
                    kind="carrier" if i % 2 else "workshop",
                    days_late=late[i],
                )
                for i, price in enumerate(prices)
            ]
            organizations = {
                c.party_id: OrganizationFactory(kind=Organization.Kind.WORKSHOP)
                for c in contributions
            }
            for i, c in enumerate(contributions):
                if released[i]:
                    services.share_price_release(
                        payment=payment,
                        party_id=c.party_id,
                        organization=organizations[c.party_id],
                        amount=c.price,
                        kind=c.kind,
                        label=c.party_id,
                        frozen=False,
                    )
                    assert_ledger_balanced()
            split = order_split(customer_price=eur(total), platform_fee=fee, parties=contributions)
            services.funds_release(payment=payment, split=split, parties=organizations)
            assert_ledger_balanced()
            payouts = Payout.objects.filter(order_id=order_id)
            paid_out = sum(p.amount_minor for p in payouts)
            assert paid_out + fee.minor + split.customer_rebate.minor == total
            # The rebate stays held until it is refunded to the customer.
            assert held_for_order(order_id) == split.customer_rebate
            if split.customer_rebate.minor:
                services.payment_refund(
                    payment=payment, amount=split.customer_rebate, idempotency_key="rebate"
                )
            assert held_for_order(order_id) == eur(0)
            for share in split.shares:
                mine = payouts.filter(idempotency_key__endswith=f":{share.party_id}")
                assert sum(p.amount_minor for p in mine) == share.payable.minor
            raise _Rollback
    except _Rollback:
        pass
