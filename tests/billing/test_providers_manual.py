"""The manual provider end to end: bank transfer in, operator confirms, CSV for the bank out."""

import csv
import io

import pytest

from billing import services
from billing.errors import (
    PaymentAmountMismatch,
    PaymentNotConfirmable,
    PermissionDenied,
    RefundNotAllowed,
)
from billing.models import LedgerAccount, LedgerTransaction, Payment, Payout
from billing.money import Money
from billing.providers import get_provider
from billing.providers.manual import ManualProvider
from billing.selectors import account_balance, balances_for_organization, payouts_bank_csv
from billing.sharing import PartyContribution, order_split
from billing.signals import payment_confirmed
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def org(user):
    return user.memberships.get().organization


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    payment_confirmed.connect(receiver, weak=False)
    yield calls
    payment_confirmed.disconnect(receiver)


@pytest.fixture
def payment(customer_alice):
    started, _ = services.payment_start(
        order_id=42,
        reference="ORD-42",
        amount=eur(31000),
        payer=org(customer_alice),
        customer_email=customer_alice.email,
    )
    return started


def test_manual_is_the_default_provider(settings):
    settings.PAYMENT_PROVIDER = ""
    assert isinstance(get_provider(), ManualProvider)


def test_starting_a_payment_shows_bank_details_and_a_generated_reference(payment):
    assert payment.provider == "manual"
    assert payment.status == Payment.Status.PENDING
    reference = payment.provider_payment_id
    assert reference.startswith("CF-42-")
    assert len(reference) == len("CF-42-") + 6
    assert payment.instructions["reference"] == reference
    assert payment.instructions["amount"] == "310.00 EUR"
    assert reference in payment.instructions["text"]
    assert payment.transfer_group == "order_42"
    assert not LedgerTransaction.objects.exists()


def test_operator_confirms_receipt_once_and_the_signal_fires_once(
    payment, operator_olga, customer_alice, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.payment_confirm_manual(
            operator=operator_olga, payment=payment, amount=eur(31000)
        )

    assert again.status == Payment.Status.CONFIRMED
    assert again.confirmed_at is not None
    (txn,) = LedgerTransaction.objects.all()
    assert (txn.kind, txn.order_id, txn.idempotency_key) == ("payment", 42, f"payment:{payment.pk}")
    held = LedgerAccount.objects.get(kind=Kind.CUSTOMER_FUNDS_HELD, owner=org(customer_alice))
    clearing = LedgerAccount.objects.get(kind=Kind.PROVIDER_CLEARING, owner=None)
    assert account_balance(account=held) == eur(31000)
    assert account_balance(account=clearing) == eur(-31000)
    assert len(received) == 1
    assert received[0]["order_id"] == 42
    assert received[0]["amount"] == eur(31000)
    assert received[0]["payment"].pk == payment.pk


def test_no_signal_is_sent_when_the_confirmation_rolls_back(
    payment, operator_olga, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))
    assert received == []  # only after commit
    assert len(callbacks) == 1


def test_only_operators_confirm_and_only_the_full_amount(payment, customer_alice, operator_olga):
    with pytest.raises(PermissionDenied):
        services.payment_confirm_manual(operator=customer_alice, payment=payment, amount=eur(31000))
    with pytest.raises(PaymentAmountMismatch, match=r"expects 310\.00 EUR"):
        services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(30000))
    with pytest.raises(PaymentAmountMismatch):
        services.payment_confirm_manual(
            operator=operator_olga, payment=payment, amount=Money(31000, "USD")
        )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert not LedgerTransaction.objects.exists()


def test_a_stripe_payment_is_not_confirmed_by_hand(payment, operator_olga):
    Payment.objects.filter(pk=payment.pk).update(provider="stripe")
    payment.refresh_from_db()
    with pytest.raises(PaymentNotConfirmable):
        services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))


def test_release_then_payouts_go_to_the_bank_file_and_are_posted_when_paid(
    payment, operator_olga, customer_alice, workshop_bob, workshop_charlie
):
    services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))
    bob, charlie = org(workshop_bob), org(workshop_charlie)
    carrier = OrganizationFactory(name="Eve Logistics", kind="logistics")
    split = order_split(
        customer_price=eur(31000),
        platform_fee=eur(2000),
        parties=[
            PartyContribution("bob", eur(12000), eur(15000), label="CNC milling"),
            PartyContribution("dana", eur(10000), eur(10500), label="anodizing"),
            PartyContribution("eve", eur(3000), eur(4500), kind="carrier"),
        ],
    )
    parties = {"bob": bob, "dana": charlie, "eve": carrier}
    release = services.funds_release(payment=payment, split=split, parties=parties)
    assert services.funds_release(payment=payment, split=split, parties=parties) == release

    assert balances_for_organization(organization=bob)[0][1] == eur(14000)
    assert balances_for_organization(organization=carrier)[0][0].kind == Kind.CARRIER_PAYABLE
    payouts = list(Payout.objects.order_by("id"))
    assert [(p.party, p.amount_minor, p.status) for p in payouts] == [
        (bob, 14000, "pending"),
        (charlie, 11400, "pending"),
        (carrier, 3600, "pending"),
    ]
    assert payouts_bank_csv() == "payout,beneficiary,organization_id,amount,currency,reference\n"

    for p in payouts:
        assert services.payout_execute(payout=p).status == Payout.Status.SUBMITTED
    assert services.payout_execute(payout=payouts[0]).attempts == 1  # already submitted

    rows = list(csv.DictReader(io.StringIO(payouts_bank_csv(currency="EUR"))))
    assert [(r["beneficiary"], r["amount"], r["reference"]) for r in rows] == [
        ("Präzision Stuttgart", "140.00", "share:42:bob"),
        ("Eindhoven Precision", "114.00", "share:42:dana"),
        ("Eve Logistics", "36.00", "share:42:eve"),
    ]
    # Nothing leaves the ledger until the bank has paid.
    assert balances_for_organization(organization=bob)[0][1] == eur(14000)

    with pytest.raises(PermissionDenied):
        services.payout_confirm_manual(operator=workshop_bob, payout=payouts[0])
    for p in payouts:
        services.payout_confirm_manual(operator=operator_olga, payout=p)
    services.payout_confirm_manual(operator=operator_olga, payout=payouts[0])  # no-op

    assert LedgerTransaction.objects.filter(kind="payout").count() == 3
    assert balances_for_organization(organization=bob)[0][1] == eur(0)
    assert payouts_bank_csv().count("\n") == 1
    platform = LedgerAccount.objects.get(kind=Kind.PLATFORM_REVENUE)
    assert account_balance(account=platform) == eur(2000)


def test_a_refund_is_recorded_and_cannot_exceed_what_was_paid(payment, operator_olga):
    services.payment_confirm_manual(operator=operator_olga, payment=payment, amount=eur(31000))
    refund = services.payment_refund(
        payment=payment, amount=eur(1000), reason="requested_by_customer", idempotency_key="r-1"
    )
    assert services.payment_refund(payment=payment, amount=eur(1000), idempotency_key="r-1") == (
        refund
    )
    payment.refresh_from_db()
    assert (refund.status, payment.status, payment.refunded_minor) == (
        "succeeded",
        "partially_refunded",
        1000,
    )
    with pytest.raises(RefundNotAllowed, match=r"Only 300\.00 EUR"):
        services.payment_refund(payment=payment, amount=eur(30001))
    services.payment_refund(payment=payment, amount=eur(30000))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert LedgerTransaction.objects.filter(kind="refund").count() == 2
