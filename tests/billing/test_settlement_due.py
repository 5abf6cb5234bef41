"""Runs pay everything due up to now (several a day); the sweeper heals what a crashed worker
left; ``settle_due`` and the beat schedule run the daily claim-and-pay."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from billing import services
from billing.models import LedgerTransaction, Payout, SettlementItem, SettlementRun
from billing.settlement import settlement_retry, settlement_run, settlement_start, settlement_sweep
from billing.tasks import settlement_due_task, settlement_sweep_task
from tests.billing.helpers import confirmed_manual_payment, org, release

pytestmark = pytest.mark.django_db


def test_a_second_run_the_same_day_pays_what_was_released_since(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    release(confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie))
    morning = settlement_run(operator=operator_olga, currency="EUR")
    assert morning.submitted_count == 3

    later = release(
        confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie)
    )
    afternoon = settlement_run(operator=operator_olga, currency="EUR")

    assert afternoon.pk != morning.pk
    assert afternoon.submitted_count == 3
    assert set(Payout.objects.filter(settlement_run=afternoon)) == set(later)
    assert Payout.objects.filter(settlement_run__isnull=True).count() == 0


def test_a_payout_released_after_the_cutoff_waits_for_the_next_run(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    run, created = settlement_start(operator=operator_olga, currency="EUR")
    assert created
    # While it is running, a second start shares it instead of opening another.
    assert settlement_start(operator=operator_olga, currency="EUR") == (run, False)
    # Released after its cutoff: not claimed by it.
    release(confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie))
    assert Payout.objects.filter(created_at__gt=run.cutoff).count() == 3
    from billing.settlement import settlement_execute

    assert settlement_execute(run=run).payouts_count == 0
    assert settlement_run(operator=operator_olga, currency="EUR").payouts_count == 3


def _crash_mid_run(run, payout, minutes):
    """What a worker killed after claiming leaves behind: a running run, a processing payout."""
    then = timezone.now() - dt.timedelta(minutes=minutes)
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.PROCESSING, settlement_run=run, processing_since=then, attempts=1
    )
    SettlementItem.objects.create(run=run, payout=payout, status=Payout.Status.PROCESSING)
    SettlementRun.objects.filter(pk=run.pk).update(started_at=then)


def test_the_sweeper_makes_a_crashed_run_retryable_and_the_retry_pays_once(
    customer_alice, workshop_bob, workshop_charlie, operator_olga
):
    payouts = release(
        confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie)
    )
    run, _ = settlement_start(operator=operator_olga, currency="EUR")
    _crash_mid_run(run, payouts[0], minutes=45)

    # A fresh claim is left alone.
    assert settlement_sweep(older_than=dt.timedelta(hours=1)) == (0, 0)
    result = settlement_sweep()  # SETTLEMENT_STALE_MINUTES, 30 by default
    assert (result.payouts, result.runs) == (1, 1)
    payouts[0].refresh_from_db()
    run.refresh_from_db()
    assert payouts[0].status == Payout.Status.FAILED
    assert "stopped" in payouts[0].error
    assert SettlementItem.objects.get(run=run, payout=payouts[0]).status == "failed"
    assert run.status == SettlementRun.Status.PARTIAL
    assert settlement_sweep() == (0, 0)  # idempotent

    retried = settlement_retry(run=run, operator=operator_olga)
    assert retried.status == SettlementRun.Status.COMPLETED
    assert retried.submitted_count == 3
    payouts[0].refresh_from_db()
    assert (payouts[0].status, payouts[0].attempts) == (Payout.Status.SUBMITTED, 2)
    assert payouts[0].processing_since is None


def test_the_sweep_task_is_on_the_beat_schedule_and_the_billing_queue(operator_olga):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"billing.tasks.settlement_sweep_task", "billing.tasks.settlement_due_task"} <= names
    assert settlement_sweep_task.name.startswith("billing.tasks.")
    assert settings.CELERY_TASK_ROUTES["billing.tasks.*"] == {"queue": "billing"}
    assert settlement_sweep_task() == {"payouts": 0, "runs": 0}


def test_settle_due_pays_everything_due_once_and_retries_partial_runs(
    customer_alice, workshop_bob, workshop_charlie, operator_olga, capsys
):
    payouts = release(
        confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie)
    )
    stuck, _ = settlement_start(operator=operator_olga, currency="EUR")
    _crash_mid_run(stuck, payouts[0], minutes=120)

    call_command("settle_due")

    assert "in the bank file" in capsys.readouterr().out
    assert set(Payout.objects.values_list("status", flat=True)) == {"submitted"}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.submitted_count) == (SettlementRun.Status.COMPLETED, 3)
    call_command("settle_due")
    assert "Nothing due" in capsys.readouterr().out

    release(confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie))
    [daily_id] = settlement_due_task()
    daily = SettlementRun.objects.get(pk=daily_id)
    assert (daily.started_by, daily.payouts_count, daily.submitted_count) == (None, 3, 3)
    assert settlement_due_task() == []
    assert SettlementRun.objects.count() == 2
    for payout in Payout.objects.all():
        services.payout_confirm_manual(operator=operator_olga, payout=payout)
    assert LedgerTransaction.objects.filter(kind="payout").count() == 6
