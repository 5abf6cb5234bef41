"""Settlement runs: every released payout due is paid once, retries pay only the rest."""

import pytest
from django.utils import timezone

from billing.errors import Conflict, PermissionDenied
from billing.models import LedgerTransaction, Payment, Payout, SettlementItem, SettlementRun
from billing.settlement import settlement_retry, settlement_run
from billing.tasks import settlement_run_task
from tests.billing.helpers import confirmed_manual_payment, onboarded, org, paid, release

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def test_a_stripe_run_pays_every_released_payout_due_once(
    stripe_settings,
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

    run = settlement_run(operator=operator_olga, currency="eur")

    assert run.status == SettlementRun.Status.COMPLETED
    assert (run.provider, run.currency, run.started_by) == ("stripe", "EUR", operator_olga)
    assert (run.payouts_count, run.paid_count, run.failed_count) == (3, 3, 0)
    assert run.paid_minor == run.total_minor == sum(p.amount_minor for p in payouts) == 29000
    assert run.finished_at is not None
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}
    assert set(SettlementItem.objects.filter(run=run).values_list("status", flat=True)) == {"paid"}
    assert len(stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data) == 3
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3

    # A second run the same day finds nothing due and pays nobody again.
    again = settlement_run(operator=operator_olga, currency="EUR")
    assert again.pk != run.pk
    assert (again.status, again.payouts_count) == (SettlementRun.Status.COMPLETED, 0)
    assert len(stripe_client.v1.transfers.list(params={"transfer_group": "order_7"}).data) == 3
    with pytest.raises(Conflict):
        settlement_retry(run=run, operator=operator_olga)


def test_a_transfer_failing_halfway_leaves_the_run_partial_and_the_retry_pays_only_the_rest(
    stripe_settings,
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

    run = settlement_run(operator=operator_olga, currency="EUR")

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


def test_a_manual_run_submits_its_payouts_for_the_bank_file(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    payment = confirmed_manual_payment(customer_alice)
    release(payment, org(workshop_bob), org(workshop_charlie))

    run = settlement_run(operator=operator_olga, currency="EUR")

    assert run.provider == "manual"
    assert run.status == SettlementRun.Status.COMPLETED
    assert (run.submitted_count, run.submitted_minor) == (3, 29000)
    # the SEPA file and marking paid: tests/billing/test_bank_sepa.py


def test_a_run_takes_only_its_currency_and_payouts_no_other_run_holds(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    payment = confirmed_manual_payment(customer_alice)
    release(payment, org(workshop_bob), org(workshop_charlie))

    other_currency = settlement_run(operator=operator_olga, currency="USD")
    assert other_currency.payouts_count == 0
    first = settlement_run(operator=operator_olga, currency="EUR")
    assert first.payouts_count == 3
    second = settlement_run(operator=operator_olga, currency="EUR")
    assert second.payouts_count == 0  # every payout already belongs to the first run


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
            settlement_run(operator=user, currency="EUR")
    assert not SettlementRun.objects.exists()
    run = SettlementRun.objects.create(
        currency="EUR",
        provider="manual",
        status=SettlementRun.Status.PARTIAL,
    )
    with pytest.raises(PermissionDenied):
        settlement_retry(run=run, operator=workshop_bob)
    run.refresh_from_db()
    assert run.status == SettlementRun.Status.PARTIAL


def test_payments_confirmed_but_never_released_are_not_paid_out(customer_alice, operator_olga):
    confirmed_manual_payment(customer_alice)
    run = settlement_run(operator=operator_olga, currency="EUR")
    assert run.payouts_count == 0
    assert run.status == SettlementRun.Status.COMPLETED
    assert Payment.objects.get().status == Payment.Status.CONFIRMED
