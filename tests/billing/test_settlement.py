"""Settlement runs: every released payout of a period is paid once, retries pay only the rest."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from billing import services
from billing.errors import Conflict, PermissionDenied
from billing.models import LedgerTransaction, Payment, Payout, SettlementItem, SettlementRun
from billing.money import Money
from billing.selectors import payouts_bank_csv
from billing.settlement import settlement_retry, settlement_run
from billing.sharing import PartyContribution, order_split
from billing.tasks import settlement_run_task
from tests.billing.test_providers_stripe import onboarded, paid, stripe_settings  # noqa: F401
from tests.factories.billing import PaymentFactory

pytestmark = pytest.mark.django_db


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def org(user):
    return user.memberships.get().organization


def release(payment, bob, charlie):
    """Three shares of the 310.00 EUR example: Bob's step, Charlie's step, Charlie's leg."""
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
    return list(Payout.objects.filter(order_id=payment.order_id).order_by("id"))


def confirmed_manual_payment(customer):
    payment = PaymentFactory(payer=org(customer))
    return services.payment_confirm(
        payment=payment, amount=payment.amount, provider_reference=payment.provider_payment_id
    )


def today():
    return timezone.localdate()


def test_a_stripe_run_pays_every_released_payout_of_the_period_once(
    stripe_settings,  # noqa: F811
    stripe_client,
    fake_stripe,
    customer_alice,
    workshop_bob,
    workshop_charlie,
    operator_olga,
):
    bob = onboarded(workshop_bob, fake_stripe)
    charlie = onboarded(workshop_charlie, fake_stripe)
    payouts = release(paid(customer_alice), bob.organization, charlie.organization)

    run = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="eur"
    )

    assert run.status == SettlementRun.Status.COMPLETED
    assert (run.provider, run.currency, run.started_by) == ("stripe", "EUR", operator_olga)
    assert (run.payouts_count, run.paid_count, run.failed_count) == (3, 3, 0)
    assert run.paid_minor == run.total_minor == sum(p.amount_minor for p in payouts) == 29000
    assert run.finished_at is not None
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}
    assert set(SettlementItem.objects.filter(run=run).values_list("status", flat=True)) == {"paid"}
    assert len(stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data) == 3
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3

    # Starting the same period again returns the run and pays nobody again.
    again = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="EUR"
    )
    assert again.pk == run.pk
    assert SettlementRun.objects.count() == 1
    assert len(stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data) == 3
    with pytest.raises(Conflict):
        settlement_retry(run=run, operator=operator_olga)


def test_a_transfer_failing_halfway_leaves_the_run_partial_and_the_retry_pays_only_the_rest(
    stripe_settings,  # noqa: F811
    stripe_client,
    fake_stripe,
    customer_alice,
    workshop_bob,
    workshop_charlie,
    operator_olga,
):
    bob = onboarded(workshop_bob, fake_stripe)
    charlie = onboarded(workshop_charlie, fake_stripe)
    payouts = release(paid(customer_alice), bob.organization, charlie.organization)
    fake_stripe.fail_next_transfer(charlie.provider_account_id)  # the second payout fails

    run = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="EUR"
    )

    assert run.status == SettlementRun.Status.PARTIAL
    assert (run.paid_count, run.failed_count) == (2, 1)
    failed = Payout.objects.get(status=Payout.Status.FAILED)
    assert failed.pk == payouts[1].pk
    assert SettlementItem.objects.get(run=run, payout=failed).error
    assert run.failed_minor == failed.amount_minor

    retried = settlement_retry(run=run, operator=operator_olga)

    assert retried.status == SettlementRun.Status.COMPLETED
    assert retried.attempts == 2
    assert (retried.paid_count, retried.failed_count) == (3, 0)
    attempts = dict(Payout.objects.values_list("pk", "attempts"))
    assert attempts == {payouts[0].pk: 1, payouts[1].pk: 2, payouts[2].pk: 1}
    transfers = stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data
    assert sorted((t.destination, t.amount) for t in transfers) == sorted(
        [
            (bob.provider_account_id, payouts[0].amount_minor),
            (charlie.provider_account_id, payouts[1].amount_minor),
            (charlie.provider_account_id, payouts[2].amount_minor),
        ]
    )
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3


def test_a_manual_run_submits_its_payouts_and_exports_them_as_a_bank_csv(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    payment = confirmed_manual_payment(customer_alice)
    payouts = release(payment, org(workshop_bob), org(workshop_charlie))

    run = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="EUR"
    )

    assert run.provider == "manual"
    assert run.status == SettlementRun.Status.COMPLETED
    assert (run.submitted_count, run.submitted_minor) == (3, 29000)
    rows = list(csv.DictReader(io.StringIO(payouts_bank_csv(run=run))))
    assert [row["reference"] for row in rows] == [p.idempotency_key for p in payouts]
    assert [row["amount"] for row in rows] == [str(p.amount.amount) for p in payouts]
    assert rows[0]["beneficiary"] == org(workshop_bob).name

    # Once the bank executed a line, the operator marks it paid and it leaves the file.
    services.payout_confirm_manual(operator=operator_olga, payout=payouts[0])
    assert len(list(csv.DictReader(io.StringIO(payouts_bank_csv(run=run))))) == 2


def test_a_run_takes_only_the_period_currency_and_payouts_no_other_run_holds(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    payment = confirmed_manual_payment(customer_alice)
    release(payment, org(workshop_bob), org(workshop_charlie))
    yesterday = today() - dt.timedelta(days=1)

    earlier = settlement_run(
        operator=operator_olga, period_start=yesterday, period_end=yesterday, currency="EUR"
    )
    other_currency = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="USD"
    )
    assert earlier.payouts_count == other_currency.payouts_count == 0
    overlapping = settlement_run(
        operator=operator_olga, period_start=yesterday, period_end=today(), currency="EUR"
    )
    assert overlapping.payouts_count == 3
    exact = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="EUR"
    )
    assert exact.payouts_count == 0  # every payout already belongs to the overlapping run


def test_the_task_pays_a_run_started_in_the_background(
    customer_alice,
    workshop_bob,
    workshop_charlie,
    operator_olga,
    django_capture_on_commit_callbacks,
):
    payment = confirmed_manual_payment(customer_alice)
    release(payment, org(workshop_bob), org(workshop_charlie))
    with django_capture_on_commit_callbacks(execute=True):
        run = settlement_run(
            operator=operator_olga,
            period_start=today(),
            period_end=today(),
            currency="EUR",
            background=True,
        )
    run.refresh_from_db()
    assert run.status == SettlementRun.Status.COMPLETED
    assert run.submitted_count == 3
    assert settlement_run_task(run.pk) == "completed"  # a rerun changes nothing
    assert settlement_run_task(0) == "missing"


def test_non_operators_cannot_start_or_retry_a_run(customer_alice, workshop_bob, operator_olga):
    for user in (customer_alice, workshop_bob):
        with pytest.raises(PermissionDenied):
            settlement_run(operator=user, period_start=today(), period_end=today(), currency="EUR")
    assert not SettlementRun.objects.exists()
    run = SettlementRun.objects.create(
        period_start=today(),
        period_end=today(),
        currency="EUR",
        provider="manual",
        status=SettlementRun.Status.PARTIAL,
    )
    with pytest.raises(PermissionDenied):
        settlement_retry(run=run, operator=workshop_bob)
    run.refresh_from_db()
    assert run.status == SettlementRun.Status.PARTIAL


def test_a_period_that_ends_before_it_starts_is_refused(operator_olga):
    with pytest.raises(Conflict):
        settlement_run(
            operator=operator_olga,
            period_start=today(),
            period_end=today() - dt.timedelta(days=1),
            currency="EUR",
        )


def test_payments_confirmed_but_never_released_are_not_paid_out(customer_alice, operator_olga):
    confirmed_manual_payment(customer_alice)
    run = settlement_run(
        operator=operator_olga, period_start=today(), period_end=today(), currency="EUR"
    )
    assert run.payouts_count == 0
    assert run.status == SettlementRun.Status.COMPLETED
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
