"""The Stripe provider through the real SDK against the fake Stripe (tests/fakestripe)."""

import pytest

from billing import services
from billing.errors import ProviderError, ProviderNotConfigured
from billing.models import ConnectedAccount, LedgerAccount, LedgerTransaction, Payment, Payout
from billing.selectors import balances_for_organization
from billing.sharing import PartyContribution, order_split
from tests.billing.helpers import REFRESH_URL, RETURN_URL, eur, onboarded, org, paid, visit
from tests.factories.billing import PaymentFactory

pytestmark = pytest.mark.django_db


def released_payouts(payment, bob, charlie):
    split = order_split(
        customer_price=payment.amount,
        platform_fee=eur(2000),
        parties=[
            PartyContribution("bob", eur(12000), eur(15000)),
            PartyContribution("charlie", eur(10000), eur(10500)),
            PartyContribution("charlie-leg", eur(3000), None, kind="carrier"),
        ],
    )
    services.funds_release(
        payment=payment,
        split=split,
        parties={"bob": bob, "charlie": charlie, "charlie-leg": charlie},
    )
    return list(Payout.objects.order_by("id"))


# -- payments -------------------------------------------------------------------------------
def test_a_payment_intent_confirmed_with_a_test_card_is_recorded_once(
    stripe_settings, stripe_client, customer_alice
):
    payment, start = services.payment_start(
        order_id=7,
        reference="ORD-7",
        amount=eur(31000),
        payer=org(customer_alice),
        customer_email=customer_alice.email,
    )
    assert payment.provider == "stripe"
    assert payment.status == Payment.Status.PENDING
    assert start.client_secret.startswith(payment.provider_payment_id)
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_payment_id)
    assert (intent.amount, intent.currency, intent.transfer_group) == (31000, "eur", "order_7")
    assert intent.metadata["payment_id"] == str(payment.pk)

    # The browser confirms with Stripe.js; we learn of it by asking Stripe again.
    stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    services.payment_sync(payment=payment)
    services.payment_sync(payment=payment)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.provider_charge_id.startswith("ch_")
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert balances_for_organization(organization=org(customer_alice))[0][1] == eur(31000)


def test_a_declined_card_is_reported_failed_with_a_clear_message(stripe_settings, customer_alice):
    payment, start = services.payment_start(
        order_id=8,
        reference="ORD-8",
        amount=eur(5000),
        payer=org(customer_alice),
        customer_email=customer_alice.email,
        payment_method="pm_card_chargeDeclined",
    )
    assert start.status == "failed"
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message == "Your card was declined."
    assert not LedgerTransaction.objects.exists()


def test_stripe_without_an_api_key_is_refused_clearly(settings, customer_alice):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = ""
    with pytest.raises(ProviderNotConfigured, match="STRIPE_API_KEY"):
        services.payment_start(
            order_id=9,
            reference="ORD-9",
            amount=eur(5000),
            payer=None,
            customer_email="x@example.com",
        )


# -- onboarding -----------------------------------------------------------------------------
def test_onboarding_goes_through_an_account_link(stripe_settings, stripe_client, workshop_bob):
    organization = org(workshop_bob)
    url = services.connected_account_onboard(
        user=workshop_bob, organization=organization, refresh_url=REFRESH_URL, return_url=RETURN_URL
    )
    account = ConnectedAccount.objects.get(organization=organization)
    assert account.provider_account_id.startswith("acct_")
    assert account.status == ConnectedAccount.Status.PENDING
    assert stripe_client.v1.accounts.retrieve(account.provider_account_id).type == "express"

    assert visit(url) == (302, RETURN_URL)
    services.connected_account_sync(account=account)
    account.refresh_from_db()
    assert (account.status, account.payouts_enabled, account.requirements_due) == (
        "active",
        True,
        [],
    )
    # Asking again reuses the account and hands out a fresh link.
    again = services.connected_account_onboard(
        user=workshop_bob, organization=organization, refresh_url=REFRESH_URL, return_url=RETURN_URL
    )
    assert again != url
    assert ConnectedAccount.objects.count() == 1


def test_a_payout_to_a_party_without_onboarding_fails_and_says_why(
    stripe_settings, customer_alice, workshop_bob, workshop_charlie
):
    payment = paid(customer_alice)
    payout = released_payouts(payment, org(workshop_bob), org(workshop_charlie))[0]
    payout = services.payout_execute(payout=payout)
    assert payout.status == Payout.Status.FAILED
    assert "has not finished payout onboarding" in payout.error


# -- transfers ------------------------------------------------------------------------------
def test_each_share_becomes_one_transfer_from_the_customers_charge(
    stripe_settings, stripe_client, fake_stripe, customer_alice, workshop_bob, workshop_charlie
):
    bob = onboarded(workshop_bob, fake_stripe)
    charlie = onboarded(workshop_charlie, fake_stripe)
    payment = paid(customer_alice)
    payouts = released_payouts(payment, bob.organization, charlie.organization)
    for payout in payouts:
        assert services.payout_execute(payout=payout).status == Payout.Status.PAID

    transfers = stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data
    assert sorted((t.destination, t.amount) for t in transfers) == sorted(
        [
            (bob.provider_account_id, payouts[0].amount_minor),
            (charlie.provider_account_id, payouts[1].amount_minor),
            (charlie.provider_account_id, payouts[2].amount_minor),
        ]
    )
    assert sum(p.amount_minor for p in payouts) == 31000 - 2000
    assert {t.source_transaction for t in transfers} == {payment.provider_charge_id}
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3
    payable = {a.kind: b for a, b in balances_for_organization(organization=charlie.organization)}
    assert payable == {
        LedgerAccount.Kind.WORKSHOP_PAYABLE: eur(0),
        LedgerAccount.Kind.CARRIER_PAYABLE: eur(0),
    }


@pytest.mark.parametrize("failure", ["api_error", "connection", "response_lost", "account_invalid"])
def test_a_failed_transfer_is_recorded_and_the_retry_pays_exactly_once(
    failure,
    stripe_settings,
    stripe_client,
    fake_stripe,
    customer_alice,
    workshop_bob,
    workshop_charlie,
):
    bob = onboarded(workshop_bob, fake_stripe)
    payment = paid(customer_alice)
    payout = released_payouts(payment, bob.organization, org(workshop_charlie))[0]
    fake_stripe.fail_next_transfer(bob.provider_account_id, failure)

    failed = services.payout_execute(payout=payout)
    assert failed.status == Payout.Status.FAILED
    assert failed.error
    assert failed.attempts == 1
    assert not LedgerTransaction.objects.filter(kind="payout").exists()

    retried = services.payout_execute(payout=payout)
    assert retried.status == Payout.Status.PAID
    assert retried.attempts == 2
    assert services.payout_execute(payout=payout).attempts == 2  # paid: untouched
    transfers = stripe_client.v1.transfers.list(
        params={"destination": bob.provider_account_id}
    ).data
    assert [(t.id, t.amount) for t in transfers] == [
        (retried.provider_transfer_id, payout.amount_minor)
    ]
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1


# -- refunds and reversals ------------------------------------------------------------------
def test_a_refund_goes_back_to_the_card_once(stripe_settings, stripe_client, customer_alice):
    payment = paid(customer_alice)
    refund = services.payment_refund(payment=payment, amount=eur(1000), idempotency_key="r1")
    assert refund.status == "succeeded"
    assert refund.provider_refund_id.startswith("re_")
    assert services.payment_refund(payment=payment, amount=eur(1000), idempotency_key="r1") == (
        refund
    )
    charge = stripe_client.v1.charges.retrieve(payment.provider_charge_id)
    assert charge.amount_refunded == 1000
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 1000)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1


def test_a_transfer_reversal_restores_the_payable(
    stripe_settings, stripe_client, fake_stripe, customer_alice, workshop_bob, workshop_charlie
):
    bob = onboarded(workshop_bob, fake_stripe)
    payment = paid(customer_alice)
    payout = released_payouts(payment, bob.organization, org(workshop_charlie))[0]
    payout = services.payout_execute(payout=payout)

    payout = services.payout_reverse(payout=payout, amount=eur(4000))
    assert (payout.status, payout.reversed_minor) == ("paid", 4000)
    assert stripe_client.v1.transfers.retrieve(payout.provider_transfer_id).amount_reversed == 4000
    assert balances_for_organization(organization=bob.organization)[0][1] == eur(4000)

    payout = services.payout_reverse(payout=payout)
    assert (payout.status, payout.reversed_minor) == ("reversed", payout.amount_minor)
    assert LedgerTransaction.objects.filter(kind="payout_reversal").count() == 2
    assert balances_for_organization(organization=bob.organization)[0][1] == payout.amount


def test_a_reversal_the_party_cannot_cover_is_refused_and_not_posted(
    stripe_settings, fake_stripe, customer_alice, workshop_bob, workshop_charlie
):
    bob = onboarded(workshop_bob, fake_stripe)
    payment = paid(customer_alice)
    payout = released_payouts(payment, bob.organization, org(workshop_charlie))[0]
    payout = services.payout_execute(payout=payout)
    fake_stripe.pay_out(bob.provider_account_id, payout.amount_minor - 1000, "eur")
    with pytest.raises(ProviderError, match="Insufficient funds"):
        services.payout_reverse(payout=payout, amount=eur(2000))
    payout.refresh_from_db()
    assert payout.reversed_minor == 0
    assert not LedgerTransaction.objects.filter(kind="payout_reversal").exists()


def test_the_payment_factory_makes_a_pending_manual_payment():
    payment = PaymentFactory()
    assert (payment.provider, payment.status, payment.amount) == ("manual", "pending", eur(31000))
