"""Statements off the happy path: refunds of any cause, orders that ended before completion
with prices released on acceptance, payouts reversed and prices taken back."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from billing import services
from billing.errors import NotFound, RefundNotAllowed
from billing.ledger import ledger_reverse
from billing.models import LedgerTransaction, Payout
from billing.selectors import price_release_key
from billing.statements import (
    KIND_TAKEN_BACK,
    ROLE_CUSTOMER,
    ROLE_PARTY,
    STATUS_CLOSED,
    STATUS_OPEN,
    order_statement,
    period_statement,
    statement_months,
)
from tests.billing.helpers import eur, org
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.billing import PaymentFactory

pytestmark = pytest.mark.django_db

CANCEL_REASON = "The order was cancelled: wrong material ordered"


def _paid(customer):
    payment = PaymentFactory(payer=org(customer))
    return services.payment_confirm(payment=payment, amount=payment.amount, provider_reference="x")


def _release(payment, party_id, organization, minor, kind, label):
    return services.share_price_release(
        payment=payment,
        party_id=party_id,
        organization=organization,
        amount=eur(minor),
        kind=kind,
        label=label,
        frozen=False,
    )


@pytest.fixture
def cancelled(customer_alice, workshop_bob, workshop_charlie):
    """310.00 paid; Bob's step (120.00) and Charlie's leg (30.00) accepted and released;
    then the order is cancelled and the 160.00 still held refunded."""
    payment = _paid(customer_alice)
    _release(payment, "job-1", org(workshop_bob), 12000, "workshop", "CNC milling at Bob")
    _release(payment, "leg-1", org(workshop_charlie), 3000, "carrier", "leg Stuttgart → Munich")
    services.payment_refund(
        payment=payment,
        amount=eur(16000),
        reason=CANCEL_REASON,
        idempotency_key=f"cancel:{payment.order_id}",
    )
    return payment


def test_a_cancelled_order_shows_the_customer_what_the_parties_kept_and_what_came_back(
    cancelled, customer_alice
):
    statement = order_statement(organization=org(customer_alice), order_id=cancelled.order_id)

    assert statement.role == ROLE_CUSTOMER
    assert statement.status == STATUS_CLOSED
    assert statement.released_at is None
    assert [(line.label, line.party, line.amount) for line in statement.lines] == [
        ("CNC milling at Bob", "Präzision Stuttgart", eur(12000)),
        ("leg Stuttgart → Munich", "Eindhoven Precision", eur(3000)),
    ]
    assert all(line.margin_share == eur(0) for line in statement.lines)
    assert statement.kept == statement.total == eur(15000)
    (refund,) = statement.refunds
    assert (refund.reason, refund.amount) == (CANCEL_REASON, eur(16000))
    assert refund.date.date() == timezone.now().date()
    assert statement.amount_paid == eur(31000)
    assert statement.refunded == eur(16000)
    assert statement.net_paid == eur(15000)  # paid - refunded = what the parties kept
    assert statement.held == eur(0)
    assert statement.outstanding == eur(0)


def test_a_party_of_a_cancelled_order_sees_its_released_price_without_margin_share(
    cancelled, workshop_bob, operator_olga
):
    statement = order_statement(organization=org(workshop_bob), order_id=cancelled.order_id)

    assert statement.role == ROLE_PARTY
    assert statement.status == STATUS_CLOSED
    (line,) = statement.lines
    assert (line.kind, line.label, line.price, line.margin_share, line.amount) == (
        "workshop",
        "CNC milling at Bob",
        eur(12000),
        eur(0),
        eur(12000),
    )
    assert "Margin shares are paid only when an order completes" in line.explanation
    assert statement.refunds == []  # the customer's refunds are the customer's business
    assert [p.key for p in statement.payouts] == [f"price:{cancelled.order_id}:job-1"]
    assert statement.amount_paid == eur(0)
    assert statement.outstanding == eur(12000)

    payout = Payout.objects.get(idempotency_key=f"price:{cancelled.order_id}:job-1")
    services.payout_execute(payout=payout)
    services.payout_confirm_manual(operator=operator_olga, payout=payout)
    statement = order_statement(organization=org(workshop_bob), order_id=cancelled.order_id)
    assert statement.amount_paid == eur(12000)
    assert statement.outstanding == eur(0)


def test_the_carrier_of_a_cancelled_order_sees_only_its_leg(cancelled, workshop_charlie):
    statement = order_statement(organization=org(workshop_charlie), order_id=cancelled.order_id)
    assert [(line.kind, line.amount) for line in statement.lines] == [("carrier", eur(3000))]


def test_an_organization_outside_the_cancelled_order_has_no_statement(cancelled):
    stranger = OrganizationFactory(kind="workshop")
    other_customer = OrganizationFactory(kind="customer")
    for organization in (stranger, other_customer):
        with pytest.raises(NotFound):
            order_statement(organization=organization, order_id=cancelled.order_id)


def test_a_reversed_payout_and_a_price_taken_back_are_negative_lines(
    cancelled, customer_alice, workshop_bob, operator_olga
):
    payout = Payout.objects.get(idempotency_key=f"price:{cancelled.order_id}:job-1")
    services.payout_execute(payout=payout)
    services.payout_confirm_manual(operator=operator_olga, payout=payout)
    services.payout_sync_reversed(payout=payout, amount_reversed_total=eur(12000))

    bob = order_statement(organization=org(workshop_bob), order_id=cancelled.order_id)
    (reversal,) = bob.payout_reversals
    assert reversal.amount == eur(-12000)
    assert bob.amount_paid == eur(0)
    assert bob.total == eur(12000)  # still earned: owed again until it is taken back
    assert bob.outstanding == eur(12000)

    release = LedgerTransaction.objects.get(
        idempotency_key=price_release_key(order_id=cancelled.order_id, party_id="job-1")
    )
    ledger_reverse(transaction=release, description="Dispute decided: Bob's step is redone")
    bob = order_statement(organization=org(workshop_bob), order_id=cancelled.order_id)
    taken = [line for line in bob.lines if line.kind == KIND_TAKEN_BACK]
    assert [(line.amount, line.explanation) for line in taken] == [
        (eur(-12000), "Dispute decided: Bob's step is redone")
    ]
    assert bob.total == eur(0)
    assert bob.outstanding == eur(0)

    services.payment_refund(payment=cancelled, amount=eur(12000), reason="Dispute decided")
    alice = order_statement(organization=org(customer_alice), order_id=cancelled.order_id)
    assert [line.amount for line in alice.lines] == [eur(12000), eur(3000), eur(-12000)]
    assert alice.lines[-1].label == "Price taken back from Präzision Stuttgart"
    assert alice.kept == eur(3000)
    assert [r.reason for r in alice.refunds] == [CANCEL_REASON, "Dispute decided"]
    assert alice.net_paid == eur(3000)
    assert alice.outstanding == eur(0)


def test_a_partial_refund_during_a_dispute_shows_while_money_is_still_held(
    customer_alice, workshop_bob
):
    payment = _paid(customer_alice)
    _release(payment, "job-1", org(workshop_bob), 12000, "workshop", "CNC milling at Bob")
    services.payment_refund(payment=payment, amount=eur(5000), reason="Dispute: scratched part")

    statement = order_statement(organization=org(customer_alice), order_id=payment.order_id)
    assert statement.status == STATUS_OPEN
    assert statement.held == eur(31000 - 12000 - 5000)
    assert statement.refunded == eur(5000)
    assert statement.net_paid == eur(26000)
    assert statement.outstanding == eur(0)  # lines + held = net paid


def test_a_late_payment_on_an_expired_order_is_refunded_on_the_statement(customer_alice):
    payment = _paid(customer_alice)
    reason = f"Order {payment.reference} expired before the payment arrived."
    services.payment_cancel(payment=payment, reason=reason)

    statement = order_statement(organization=org(customer_alice), order_id=payment.order_id)
    assert statement.lines == []
    assert [(r.reason, r.amount) for r in statement.refunds] == [(reason, eur(31000))]
    assert statement.net_paid == eur(0)
    assert statement.status == STATUS_CLOSED
    assert statement.outstanding == eur(0)


def test_a_refund_after_everything_was_released_is_refused_and_the_statement_unchanged(
    released, customer_alice
):
    """The escrow is empty once the split is released: the money is the parties' now."""
    with pytest.raises(RefundNotAllowed, match="still held"):
        services.payment_refund(payment=released, amount=eur(1500), reason="Goodwill")
    statement = order_statement(organization=org(customer_alice), order_id=released.order_id)
    assert statement.released_at is not None
    assert statement.total == eur(31000)
    assert statement.refunds == []
    assert statement.net_paid == eur(31000)


def test_an_order_paid_but_untouched_has_no_statement_yet(customer_alice):
    payment = _paid(customer_alice)
    with pytest.raises(NotFound):
        order_statement(organization=org(customer_alice), order_id=payment.order_id)


def test_the_period_statement_lists_cancelled_orders_with_refunds_in_the_totals(
    cancelled, customer_alice, workshop_bob
):
    today = timezone.localdate()
    customer = period_statement(
        organization=org(customer_alice), period_start=today, period_end=today
    )
    assert [s.order_id for s in customer.orders] == [cancelled.order_id]
    (total,) = customer.totals
    assert (total.total, total.amount_paid, total.refunded, total.outstanding) == (
        eur(15000),
        eur(31000),
        eur(16000),
        eur(0),
    )
    party = period_statement(organization=org(workshop_bob), period_start=today, period_end=today)
    assert party.totals[0].total == eur(12000)
    assert statement_months(organization=org(workshop_bob)) == [today.replace(day=1)]
    yesterday = today - dt.timedelta(days=1)
    assert (
        period_statement(
            organization=org(customer_alice), period_start=yesterday, period_end=yesterday
        ).orders
        == []
    )


def test_notes_reach_the_statement_and_the_page(cancelled, customer_alice):
    note = "Dispute decided by Olga: the anodizing was redone, 120.00 EUR refunded."
    statement = order_statement(
        organization=org(customer_alice), order_id=cancelled.order_id, notes=[note]
    )
    assert statement.notes == [note]
    period = period_statement(
        organization=org(customer_alice),
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        notes={cancelled.order_id: [note]},
    )
    assert period.orders[0].notes == [note]
    plain = order_statement(organization=org(customer_alice), order_id=cancelled.order_id)
    assert plain.notes == []
    page = render_to_string(
        "billing/statement_detail.html", {"statement": statement, "has_pdf": True}
    )
    assert note in page


# -- pages ----------------------------------------------------------------------------------
def test_the_statement_page_of_a_cancelled_order_shows_refunds_and_the_net(
    client, cancelled, customer_alice
):
    client.force_login(customer_alice)
    page = client.get(f"/billing/statements/orders/{cancelled.order_id}/").content.decode()
    assert "Ended before completion" in page
    assert CANCEL_REASON in page
    assert "-160.00 EUR" in page
    assert "Paid 310.00 EUR · refunded 160.00 EUR · net 150.00 EUR" in page
    assert "/billing/credit-notes/" in page

    listing = client.get("/billing/statements/").content.decode()
    assert cancelled.reference in listing
    assert "160.00 EUR" in listing  # refunded


def test_a_party_page_shows_its_price_and_another_organization_gets_404(
    client, cancelled, workshop_bob
):
    client.force_login(workshop_bob)
    page = client.get(f"/billing/statements/orders/{cancelled.order_id}/").content.decode()
    assert "CNC milling at Bob" in page
    assert "leg Stuttgart" not in page
    assert CANCEL_REASON not in page

    stranger = UserFactory(email="eve@example.com")
    MembershipFactory(user=stranger, organization=OrganizationFactory(kind="customer"))
    client.force_login(stranger)
    for url in (
        f"/billing/statements/orders/{cancelled.order_id}/",
        f"/billing/statements/orders/{cancelled.order_id}/pdf/",
    ):
        assert client.get(url).status_code == 404


def test_workshops_and_carriers_find_bank_details_and_payouts_in_the_navigation(
    client, workshop_bob, customer_alice
):
    client.force_login(workshop_bob)
    page = client.get("/billing/statements/").content.decode()
    assert 'href="/billing/bank-account/"' in page
    assert 'href="/billing/payouts/onboarding/"' in page

    carrier = UserFactory(email="carla2@example.com")
    MembershipFactory(user=carrier, organization=OrganizationFactory(kind="logistics"))
    client.force_login(carrier)
    page = client.get("/billing/statements/").content.decode()
    assert 'href="/billing/bank-account/"' in page
    assert 'href="/billing/payouts/onboarding/"' in page

    client.force_login(customer_alice)
    page = client.get("/billing/statements/").content.decode()
    assert 'href="/billing/payouts/onboarding/"' not in page
    assert 'href="/billing/credit-notes/"' in page
