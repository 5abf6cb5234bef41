"""Money when things go wrong: refunds bounded by the escrow, dispute decisions with
amounts, cost overruns covered by the platform, rebates refunded, ended orders swept.

Each test drives a real order on the small network (see tests/billing/test_escrow.py).
"""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from billing import services
from billing.errors import RefundNotAllowed
from billing.models import LedgerTransaction, Payout, Refund
from billing.money import Money
from billing.selectors import available_for_order, held_for_order, released_prices
from billing.statements import order_statement
from marketplace.errors import DomainError, PermissionDenied
from marketplace.orders.disputes import dispute_money
from marketplace.orders.flow import OrderStatus
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import DisputeDecision, Job
from marketplace.orders.services import (
    order_complete,
    order_confirm_delivery,
    order_dispute,
    order_resolve_dispute,
)
from tests.billing.escrow_story import (
    advance,
    assert_ledger_balanced,
    disputed,
    eur,
    paid_order,
    released_prices_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def _paid_to_parties(order) -> int:
    return sum(p.amount_minor for p in Payout.objects.filter(order_id=order.pk))


def _refunded(order) -> int:
    return sum(
        r.net.minor
        for r in Refund.objects.filter(payment__order_id=order.pk, status=Refund.Status.SUCCEEDED)
    )


def _subsidy(order) -> int:
    return sum(
        e.amount_minor
        for t in LedgerTransaction.objects.filter(order_id=order.pk, kind="subsidy")
        for e in t.entries.filter(amount_minor__gt=0)
    )


def _fee(order) -> int:
    from billing.models import LedgerAccount, LedgerEntry

    return sum(
        LedgerEntry.objects.filter(
            transaction__order_id=order.pk,
            transaction__kind="release",
            account__kind=LedgerAccount.Kind.PLATFORM_REVENUE,
        ).values_list("amount_minor", flat=True)
    )


def _assert_closed(order, payment):
    """Money in (payment + platform subsidy) = money out (parties + fee + refunds), nothing
    left held, the ledger balanced."""
    assert held_for_order(order.pk) == eur(0)
    assert payment.net.minor + _subsidy(order) == (
        _paid_to_parties(order) + _fee(order) + _refunded(order)
    )
    assert_ledger_balanced()


def test_a_refund_can_never_take_more_than_the_order_still_holds(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = disputed(small_network, customer_alice, operator_olga, capture, max_receipts=2)
    released = sum(m.minor for m in released_prices(order_id=order.pk).values())
    assert released > 0
    held = held_for_order(order.pk)
    assert held == eur(order.price_minor - released)
    with pytest.raises(RefundNotAllowed, match="still held"):
        services.payment_refund(payment=payment, amount=eur(order.price_minor), reason="all")
    assert not Refund.objects.filter(payment=payment).exists()
    # Up to what is held is fine; then the escrow is empty and nothing more goes.
    services.payment_refund(payment=payment, amount=held, reason="goodwill")
    assert held_for_order(order.pk) == eur(0)
    with pytest.raises(RefundNotAllowed):
        services.payment_refund(payment=payment, amount=eur(1), reason="more")
    assert_ledger_balanced()


def test_refund_during_a_dispute_then_complete_pays_the_work_and_never_goes_negative(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """Before: the completion shared the whole price after a refund, escrow -100.00 EUR."""
    capture = django_capture_on_commit_callbacks
    order, payment = disputed(
        small_network, customer_alice, operator_olga, capture, max_receipts=1, more=True
    )
    held = held_for_order(order.pk)
    services.payment_refund(payment=payment, amount=held, reason="The operator refunds it all")
    with capture(execute=True):
        order_resolve_dispute(
            user=operator_olga, order=order, outcome="complete", reason="Parts were usable"
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    done = {f"job-{j.pk}": j.cost_minor for j in order.jobs.filter(status="done")}
    for party, minor in done.items():
        assert released_prices(order_id=order.pk)[party] == eur(minor)
    assert _subsidy(order) > 0  # the platform paid the work the refund left unpaid
    _assert_closed(order, payment)


def test_a_decision_pays_the_chosen_work_and_legs_in_transit_and_refunds_within_the_escrow(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = disputed(small_network, customer_alice, operator_olga, capture, receive=False)
    money = dispute_money(order=order)
    in_transit = [p for p in money.parties if p.in_transit]
    jobs = [p for p in money.parties if p.party_id.startswith("job-")]
    assert in_transit
    assert len(jobs) >= 2
    unpaid_job = jobs[-1]
    chosen = [p.party_id for p in money.parties if p.party_id != unpaid_job.party_id]
    most = money.max_refund(chosen)
    assert most == eur(
        money.held.minor - sum(p.price.minor for p in money.parties) + unpaid_job.price.minor
    )

    with pytest.raises(DomainError, match="At most"):
        order_resolve_dispute(
            user=operator_olga,
            order=order,
            outcome="complete",
            reason="Half of it was fine",
            refund=most + eur(1),
            paid_party_ids=chosen,
        )
    assert not DisputeDecision.objects.exists()
    assert released_prices_of(order) == {}

    refund = eur(most.minor // 2)
    with capture(execute=True):
        order_resolve_dispute(
            user=operator_olga,
            order=order,
            outcome="complete",
            reason="Half of it was fine",
            refund=refund,
            paid_party_ids=chosen,
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    released = released_prices(order_id=order.pk)
    assert set(released) == set(chosen)
    assert unpaid_job.party_id not in released
    for leg in in_transit:
        assert released[leg.party_id] == leg.price  # the carrier is paid while in transit
    # The refund asked for, or more: the unfinished step's share of the price goes back too
    # (the margin is on what was delivered, not the whole price for part of the work).
    decision = DisputeDecision.objects.get()
    assert decision.refund_minor >= refund.minor
    assert _refunded(order) == decision.refund_minor
    kept = order.price_minor - decision.refund_minor
    paid_cost = sum(m.minor for m in released_prices(order_id=order.pk).values())
    assert kept <= -(-paid_cost * order.price_minor // order.cost_minor)
    assert not order.jobs.filter(status__in=["accepted", "offered", "in_progress"]).exists()
    unpaid_payouts = Payout.objects.filter(
        order_id=order.pk, idempotency_key__endswith=f":{unpaid_job.party_id}"
    )
    assert not unpaid_payouts.exists()
    _assert_closed(order, payment)

    # The decision is explained on every party's statement.
    carrier = in_transit[0].organization
    statement = order_statement(organization=carrier, order_id=order.pk)
    assert any("Half of it was fine" in note for note in statement.notes)
    customer = order_statement(organization=order.organization, order_id=order.pk)
    assert any("Dispute decided" in note for note in customer.notes)


def test_a_cancel_decision_pays_the_chosen_work_and_refunds_the_rest(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = disputed(
        small_network, customer_alice, operator_olga, capture, max_receipts=1, more=True
    )
    money = dispute_money(order=order)
    first_job = next(p for p in money.parties if p.party_id.startswith("job-") and not p.released)
    with capture(execute=True):
        order_resolve_dispute(
            user=operator_olga,
            order=order,
            outcome="cancel",
            reason="The customer no longer needs it",
            paid_party_ids=[first_job.party_id],
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert first_job.party_id in released_prices(order_id=order.pk)
    assert _refunded(order) == payment.net.minor - sum(
        m.minor for m in released_prices(order_id=order.pk).values()
    )
    _assert_closed(order, payment)


def test_only_operators_decide_and_bad_input_changes_nothing(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, _ = disputed(small_network, customer_alice, operator_olga, capture, max_receipts=1)
    before = held_for_order(order.pk)
    with pytest.raises(PermissionDenied):
        order_resolve_dispute(user=customer_alice, order=order, outcome="complete", reason="x")
    bad = [
        {"outcome": "split", "reason": "x"},
        {"outcome": "complete", "reason": "  "},
        {"outcome": "complete", "reason": "x", "refund": Money(100, "USD")},
        {"outcome": "complete", "reason": "x", "refund": eur(-1)},
        {"outcome": "complete", "reason": "x", "paid_party_ids": ["job-999999"]},
    ]
    for kwargs in bad:
        with pytest.raises(DomainError):
            order_resolve_dispute(user=operator_olga, order=order, **kwargs)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert not DisputeDecision.objects.exists()
    assert held_for_order(order.pk) == before


def test_a_cost_overrun_is_covered_by_the_platform_and_the_order_closes(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """Before: a re-plan pushing the cost past the price left 227.65 EUR held forever."""
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    Job.objects.filter(order=order).update(cost_minor=F("cost_minor") * 3)  # a costly re-plan
    advance(order, small_network, customer_alice, capture)
    order.refresh_from_db()
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
    with capture(execute=True):
        order_complete(user=customer_alice, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    cost = sum(j.cost_minor for j in order.jobs.filter(status="done")) + sum(
        s.cost_minor for s in order.shipments.filter(status="delivered")
    )
    assert cost > order.price_minor
    assert _subsidy(order) == cost - order.price_minor
    assert _fee(order) == 0  # the platform gave up its fee first
    for job in order.jobs.filter(status="done"):
        assert released_prices(order_id=order.pk)[f"job-{job.pk}"] == eur(job.cost_minor)
    _assert_closed(order, payment)
    # The customer's statement says the platform paid the difference, and owes nothing.
    statement = order_statement(organization=order.organization, order_id=order.pk)
    assert statement.covered == eur(_subsidy(order))
    assert statement.outstanding == eur(0)
    assert any("The platform paid" in note for note in statement.notes)


def test_the_rebate_is_refunded_to_the_customer(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """Before: the rebate was credited to a refunds account and never paid to anyone."""
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture)
    late = order.jobs.filter(status="done").first()
    Job.objects.filter(pk=late.pk).update(finished_at=late.planned_end + timedelta(days=3))
    order.refresh_from_db()
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
    with capture(execute=True):
        order_complete(user=customer_alice, order=order)
    rebate = Refund.objects.get(idempotency_key=f"rebate:{order.pk}")
    assert rebate.status == Refund.Status.SUCCEEDED
    assert rebate.amount_minor > 0
    _assert_closed(order, payment)
    statement = order_statement(organization=order.organization, order_id=order.pk)
    assert statement.outstanding == eur(0)


def test_housekeeping_settles_a_completed_order_whose_release_was_lost(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture)
    order.refresh_from_db()
    with capture(execute=True):
        order_confirm_delivery(user=customer_alice, order=order)
    with capture(execute=False):  # the worker died before the release ran
        order_complete(user=customer_alice, order=order)
    assert available_for_order(order.pk).minor > 0
    counts = orders_housekeeping(now=timezone.now())
    assert counts["settled"] == 1
    assert counts["failed"] == 0
    _assert_closed(order, payment)
    assert orders_housekeeping(now=timezone.now())["settled"] == 0


@pytest.mark.parametrize("received", [False, True])
def test_completing_with_nobody_paid_and_everything_refunded_closes_the_order(
    received, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """Before: a completion that paid no party raised 'An order needs at least one party to
    share its margin' after commit (a randomized market run found it): the refund left less
    than the platform fee, the fee was given up and an empty split was refused, so the
    release never ran and the fee's rest stayed held."""
    capture = django_capture_on_commit_callbacks
    order, payment = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture, receive=received, max_receipts=1)
    with capture(execute=True):
        order_dispute(user=customer_alice, order=order, reason="Nothing usable arrived")
    already = set(released_prices(order_id=order.pk))
    assert bool(already) is received
    held = held_for_order(order.pk)
    with capture(execute=True):
        order_resolve_dispute(
            user=operator_olga,
            order=order,
            outcome="complete",
            reason="Nothing usable arrived; everything held goes back",
            refund=held,
            paid_party_ids=[],
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert set(released_prices(order_id=order.pk)) == already
    assert _refunded(order) == held.minor
    _assert_closed(order, payment)
