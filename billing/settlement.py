"""Settlement runs: pay every released, unpaid payout due up to now, once.

A run claims the payouts released up to its ``cutoff`` (the moment it starts) that no run
holds yet, by a compare-and-swap on ``Payout.settlement_run`` (an ``UPDATE ... WHERE
settlement_run IS NULL``), so a payout belongs to one run only and several runs a day are
fine: a later run takes what was released since. At most one run per (currency, provider)
is running (a partial unique constraint): two operators starting at once share it. Each
payout is sent through ``payout_execute``, whose own compare-and-swap (pending/failed ->
processing) means no payout is sent twice however many workers execute or retry the run.
No database lock is held while the provider is called.

A worker that dies mid-run leaves the run ``running`` and payouts ``processing``;
``settlement_sweep`` turns them retryable after ``SETTLEMENT_STALE_MINUTES``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.audit import record
from accounts.models import User
from accounts.permissions import require_operator
from billing.errors import Conflict, DomainError
from billing.models import Payout, SettlementItem, SettlementRun
from billing.money import CURRENCY_EXPONENTS
from billing.payouts import payout_execute
from billing.providers import PROVIDERS, default_provider_name

logger = logging.getLogger(__name__)

UNPAID = (Payout.Status.PENDING, Payout.Status.FAILED, Payout.Status.PROCESSING)


def period_bounds(*, period_start: dt.date, period_end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open datetime range [start 00:00, day after end 00:00) in the current zone
    (statements use it)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


class InvalidSettlement(DomainError):
    """A run was asked for a currency or provider billing does not know (400, never 500)."""

    code = "invalid_settlement"


def provider_names() -> list[str]:
    """The registered payment providers (built in, plus ``PAYMENT_PROVIDER_CLASSES``)."""
    return sorted({*PROVIDERS, *getattr(settings, "PAYMENT_PROVIDER_CLASSES", {})})


def supported_currencies() -> list[str]:
    return sorted(CURRENCY_EXPONENTS)


def settlement_validate(*, currency: str, provider: str | None = None) -> tuple[str, str]:
    """The normalised (currency, provider), or ``InvalidSettlement`` with a message for people."""
    code = (currency or "").strip().upper()
    if code not in CURRENCY_EXPONENTS:
        raise InvalidSettlement(
            f"{currency!r} is not a currency billing pays out in "
            f"(one of {', '.join(supported_currencies())}).",
            code="unknown_currency",
        )
    name = (provider or "").strip() or default_provider_name()
    if name not in provider_names():
        raise InvalidSettlement(
            f"{provider!r} is not a payment provider (one of {', '.join(provider_names())}).",
            code="unknown_provider",
        )
    return code, name


def settlement_start(
    *,
    operator: User | None,
    currency: str,
    provider: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[SettlementRun, bool]:
    """Open a run for everything due up to now (committed at once), or return the run of this
    currency and provider that is already running, not created.

    ``operator`` None is the daily run (``settle_due``); any person must be an operator.
    """
    if operator is not None:
        require_operator(user=operator)
    currency, provider = settlement_validate(currency=currency, provider=provider)
    key = {"currency": currency, "provider": provider}
    running = SettlementRun.objects.filter(**key, status=SettlementRun.Status.RUNNING)
    existing = running.first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run = SettlementRun.objects.create(
                **key, cutoff=now, started_at=now, started_by=operator
            )
            if operator is not None:
                record(actor=operator, action="settlement.start", target=run, details=key)
            return run, True
    except IntegrityError:
        existing = running.first() or SettlementRun.objects.filter(**key).order_by("-id").first()
        if existing is None:  # pragma: no cover - the constraint named a row that vanished
            raise
        return existing, False


def settlement_run(
    *,
    operator: User | None,
    currency: str,
    provider: str | None = None,
    background: bool = False,
) -> SettlementRun:
    """Start a run for what is due now and pay it (here, or in ``settlement_run_task`` when
    ``background``); while a run of this currency and provider is running, return it."""
    run, created = settlement_start(operator=operator, currency=currency, provider=provider)
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
    try:
        with transaction.atomic():
            claimed = SettlementRun.objects.filter(
                pk=run.pk, status=SettlementRun.Status.PARTIAL
            ).update(
                status=SettlementRun.Status.RUNNING,
                finished_at=None,
                started_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
    except IntegrityError:
        raise Conflict(
            f"Another {run.currency} run through {run.provider} is paying right now; "
            "retry this one when it has finished."
        ) from None
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
    """Claim the payouts released up to the cutoff that no run holds yet; returns how many.

    One ``UPDATE`` whose ``WHERE`` requires ``settlement_run IS NULL``: on PostgreSQL a
    concurrent claimer waits for the row and re-checks the condition, so each payout joins
    exactly one run.
    """
    with transaction.atomic():
        claimed = Payout.objects.filter(
            settlement_run__isnull=True,
            created_at__lte=run.cutoff,
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


def _run_stats(run: SettlementRun) -> dict:
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
    return {
        "payouts_count": stats["count"],
        "total_minor": stats["total"] or 0,
        "paid_count": stats["paid"],
        "paid_minor": stats["paid_minor"] or 0,
        "submitted_count": stats["submitted"],
        "submitted_minor": stats["submitted_minor"] or 0,
        "failed_count": stats["failed"],
        "failed_minor": stats["failed_minor"] or 0,
    }


def settlement_finish(*, run: SettlementRun) -> SettlementRun:
    """Store the run's counts and totals from its payouts and set partial or completed."""
    stats = _run_stats(run)
    status = (
        SettlementRun.Status.PARTIAL if stats["failed_count"] else SettlementRun.Status.COMPLETED
    )
    SettlementRun.objects.filter(pk=run.pk, status=SettlementRun.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), **stats
    )
    run.refresh_from_db()
    return run


def settlement_refresh(*, run: SettlementRun) -> SettlementRun:
    """Recount a finished run's payouts (e.g. after bank payouts were marked paid)."""
    SettlementRun.objects.filter(pk=run.pk).exclude(status=SettlementRun.Status.RUNNING).update(
        **_run_stats(run)
    )
    run.refresh_from_db()
    return run


# -- crashed workers and the daily run ------------------------------------------------------
STALE_PAYOUT_ERROR = (
    "The worker sending this payout stopped before recording the answer; it will be sent "
    "again with the same idempotency key, so it cannot be paid twice."
)


class SweepResult(NamedTuple):
    payouts: int
    runs: int


def settlement_sweep(
    *, older_than: dt.timedelta | None = None, now: dt.datetime | None = None
) -> SweepResult:
    """Make what a crashed worker left behind retryable again; a second sweep does nothing.

    Payouts ``processing`` since before the threshold become ``failed`` (retryable with the
    same provider key, so a transfer that did happen is replayed, not repeated); runs
    ``running`` since before it are closed as ``partial`` (or ``completed`` if nothing is
    unpaid) so they can be retried. Each step is a compare-and-swap on the status.
    """
    if older_than is None:
        older_than = dt.timedelta(minutes=settings.SETTLEMENT_STALE_MINUTES)
    threshold = (now or timezone.now()) - older_than
    # No timestamp: claimed before processing_since existed, so older than any threshold.
    stale = Q(processing_since__lt=threshold) | Q(processing_since__isnull=True)
    ids = list(
        Payout.objects.filter(stale, status=Payout.Status.PROCESSING).values_list("pk", flat=True)
    )
    with transaction.atomic():
        payouts = Payout.objects.filter(stale, pk__in=ids, status=Payout.Status.PROCESSING).update(
            status=Payout.Status.FAILED, error=STALE_PAYOUT_ERROR, processing_since=None
        )
        SettlementItem.objects.filter(payout_id__in=ids, status=Payout.Status.PROCESSING).update(
            status=Payout.Status.FAILED, error=STALE_PAYOUT_ERROR, updated_at=timezone.now()
        )
    runs = 0
    for run in SettlementRun.objects.filter(
        status=SettlementRun.Status.RUNNING, started_at__lt=threshold
    ):
        logger.warning("Settlement run %s was left running; closing it for a retry", run.pk)
        settlement_finish(run=run)
        runs += 1
    if payouts or runs:
        logger.warning("Sweeper: %s payouts and %s runs made retryable", payouts, runs)
    return SweepResult(payouts=payouts, runs=runs)


def settlement_run_due(*, now: dt.datetime | None = None) -> list[SettlementRun]:
    """The daily claim-and-pay: sweep, retry partial runs, and run every (currency,
    provider) that has payouts due. Started by nobody (``started_by`` empty)."""
    settlement_sweep(now=now)
    runs = []
    for run in SettlementRun.objects.filter(status=SettlementRun.Status.PARTIAL).order_by("id"):
        try:
            runs.append(settlement_retry(run=run))
        except Conflict as error:
            logger.info("Settlement run %s not retried: %s", run.pk, error.message)
    due = (
        Payout.objects.filter(
            settlement_run__isnull=True,
            status__in=Payout.RETRYABLE,
            created_at__lte=now or timezone.now(),
        )
        .values_list("currency", "provider")
        .distinct()
        .order_by("currency", "provider")
    )
    for currency, provider in list(due):
        try:
            runs.append(settlement_run(operator=None, currency=currency, provider=provider))
        except DomainError as error:
            logger.error("No run for %s through %s: %s", currency, provider, error.message)
    return runs
