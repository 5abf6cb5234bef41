"""Settlement runs: an operator pays every released, unpaid payout of a period, once.

A run is one row per (period, currency, provider); starting the same period again, or from
two operators at the same moment, returns the one run (unique constraint, the loser of the
insert reads the winner's row). Payouts join a run by a compare-and-swap on
``Payout.settlement_run`` (an ``UPDATE ... WHERE settlement_run IS NULL``), so a payout
belongs to one run only, and each is sent through ``payout_execute``, whose own
compare-and-swap (pending/failed -> processing) means no payout is sent twice however many
workers execute or retry the run. No database lock is held while the provider is called.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require_operator
from billing.errors import Conflict
from billing.models import Payout, SettlementItem, SettlementRun
from billing.payouts import payout_execute
from billing.providers import default_provider_name, get_provider

logger = logging.getLogger(__name__)

UNPAID = (Payout.Status.PENDING, Payout.Status.FAILED, Payout.Status.PROCESSING)


def period_bounds(*, period_start: dt.date, period_end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open datetime range [start 00:00, day after end 00:00) in the current zone."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def settlement_start(
    *,
    operator: User,
    period_start: dt.date,
    period_end: dt.date,
    currency: str,
    provider: str | None = None,
) -> tuple[SettlementRun, bool]:
    """Open the run of a period (committed at once), or return the existing one, not created.

    The unique constraint on (period, currency, provider) decides between two operators
    starting the same period at the same moment: one insert wins, the other reads its row.
    """
    require_operator(user=operator)
    if period_end < period_start:
        raise Conflict("The period ends before it starts.")
    provider = provider or default_provider_name()
    get_provider(provider)  # an unknown provider is refused before anything is written
    currency = currency.upper()
    key = {
        "period_start": period_start,
        "period_end": period_end,
        "currency": currency,
        "provider": provider,
    }
    existing = SettlementRun.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return SettlementRun.objects.create(**key, started_by=operator), True
    except IntegrityError:
        return SettlementRun.objects.get(**key), False


def settlement_run(
    *,
    operator: User,
    period_start: dt.date,
    period_end: dt.date,
    currency: str,
    provider: str | None = None,
    background: bool = False,
) -> SettlementRun:
    """Start the period's run and pay it (here, or in ``settlement_run_task`` when
    ``background``); a period already started returns its run untouched."""
    run, created = settlement_start(
        operator=operator,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        provider=provider,
    )
    if not created:
        return run
    if background:
        from billing.tasks import settlement_run_task

        transaction.on_commit(lambda: settlement_run_task.delay(run.pk))
        return run
    return settlement_execute(run=run)


def settlement_retry(
    *, run: SettlementRun, operator: User | None = None, background: bool = False
) -> SettlementRun:
    """Run a partial run again: only payouts still unpaid are sent.

    The partial -> running step is a compare-and-swap, so two operators pressing retry at
    once start one retry; the other gets the run back as it is.
    """
    if operator is not None:
        require_operator(user=operator)
    claimed = SettlementRun.objects.filter(pk=run.pk, status=SettlementRun.Status.PARTIAL).update(
        status=SettlementRun.Status.RUNNING, finished_at=None, attempts=F("attempts") + 1
    )
    run.refresh_from_db()
    if not claimed:
        if run.status == SettlementRun.Status.COMPLETED:
            raise Conflict("This settlement run is complete; nothing is left to pay.")
        return run
    if background:
        from billing.tasks import settlement_run_task

        transaction.on_commit(lambda: settlement_run_task.delay(run.pk))
        run.refresh_from_db()
        return run
    return settlement_execute(run=run)


def settlement_claim(*, run: SettlementRun) -> int:
    """Claim the period's released payouts no run holds yet; returns how many this call got.

    One ``UPDATE`` whose ``WHERE`` requires ``settlement_run IS NULL``: on PostgreSQL a
    concurrent claimer waits for the row and re-checks the condition, so each payout joins
    exactly one run.
    """
    start, end = period_bounds(period_start=run.period_start, period_end=run.period_end)
    with transaction.atomic():
        claimed = Payout.objects.filter(
            settlement_run__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
            currency=run.currency,
            provider=run.provider,
            status__in=Payout.RETRYABLE,
        ).update(settlement_run=run)
        SettlementItem.objects.bulk_create(
            [
                SettlementItem(run=run, payout_id=pk, status=status)
                for pk, status in Payout.objects.filter(settlement_run=run).values_list(
                    "pk", "status"
                )
            ],
            ignore_conflicts=True,
        )
    return claimed


def settlement_execute(*, run: SettlementRun) -> SettlementRun:
    """Claim, pay each unpaid payout of the run (no lock held across the provider call),
    record every outcome and close the run as ``partial`` or ``completed``.

    Safe to call again, or from two workers: ``payout_execute`` claims each payout by
    compare-and-swap, so a payout another worker is sending is skipped, never sent twice.
    """
    if run.status != SettlementRun.Status.RUNNING:
        return run
    settlement_claim(run=run)
    unpaid = list(
        Payout.objects.filter(settlement_run=run, status__in=Payout.RETRYABLE)
        .select_related("party", "source_payment")
        .order_by("id")
    )
    for payout in unpaid:
        try:
            done = payout_execute(payout=payout)
        except Exception:  # one party's trouble must not stop everyone else's payout
            logger.exception("Settlement run %s: payout %s raised", run.pk, payout.pk)
            done = Payout.objects.get(pk=payout.pk)
        SettlementItem.objects.filter(run=run, payout=done).update(
            status=done.status, error=done.error, attempts=done.attempts, updated_at=timezone.now()
        )
    return settlement_finish(run=run)


def settlement_finish(*, run: SettlementRun) -> SettlementRun:
    """Store the run's counts and totals from its payouts and set partial or completed."""
    stats = Payout.objects.filter(settlement_run=run).aggregate(
        count=Count("id"),
        total=Sum("amount_minor"),
        paid=Count("id", filter=Q(status=Payout.Status.PAID)),
        paid_minor=Sum("amount_minor", filter=Q(status=Payout.Status.PAID)),
        submitted=Count("id", filter=Q(status=Payout.Status.SUBMITTED)),
        submitted_minor=Sum("amount_minor", filter=Q(status=Payout.Status.SUBMITTED)),
        failed=Count("id", filter=Q(status__in=UNPAID)),
        failed_minor=Sum("amount_minor", filter=Q(status__in=UNPAID)),
    )
    status = SettlementRun.Status.PARTIAL if stats["failed"] else SettlementRun.Status.COMPLETED
    SettlementRun.objects.filter(pk=run.pk, status=SettlementRun.Status.RUNNING).update(
        status=status,
        payouts_count=stats["count"],
        total_minor=stats["total"] or 0,
        paid_count=stats["paid"],
        paid_minor=stats["paid_minor"] or 0,
        submitted_count=stats["submitted"],
        submitted_minor=stats["submitted_minor"] or 0,
        failed_count=stats["failed"],
        failed_minor=stats["failed_minor"] or 0,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run
