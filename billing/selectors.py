"""Reads of billing: balances from aggregate queries, and what each organization may see."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Organization, User
from accounts.selectors import is_operator
from billing.errors import NotFound
from billing.models import (
    BankFile,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
    SettlementRun,
    ShareRecord,
)
from billing.money import Money


def account_balance(*, account: LedgerAccount) -> Money:
    """The sum of the account's entries (see LedgerAccount for the sign convention)."""
    total = LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount_minor"))
    return Money(total["total"] or 0, account.currency)


def balances_for_organization(*, organization: Organization) -> list[tuple[LedgerAccount, Money]]:
    """Every account the organization owns with its balance, in one aggregate query."""
    accounts = (
        LedgerAccount.objects.filter(owner=organization)
        .annotate(total=Sum("entries__amount_minor"))
        .order_by("kind", "currency")
    )
    return [(account, Money(account.total or 0, account.currency)) for account in accounts]


def platform_balances() -> list[tuple[LedgerAccount, Money]]:
    accounts = (
        LedgerAccount.objects.filter(owner__isnull=True)
        .annotate(total=Sum("entries__amount_minor"))
        .order_by("kind", "currency")
    )
    return [(account, Money(account.total or 0, account.currency)) for account in accounts]


def ledger_entries_for_organization(*, organization: Organization) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(account__owner=organization)
        .select_related("account", "transaction")
        .order_by("-transaction__created_at", "-id")
    )


def payments_visible_to(*, user: User, organization: Organization | None) -> QuerySet[Payment]:
    """Operators see every payment; a member sees those their organization made."""
    if is_operator(user=user):
        return Payment.objects.select_related("payer")
    if organization is None:
        return Payment.objects.none()
    return Payment.objects.filter(payer=organization, payer__memberships__user=user).distinct()


def payouts_visible_to(*, user: User, organization: Organization | None) -> QuerySet[Payout]:
    """Operators see every payout; a member sees those to their organization."""
    if is_operator(user=user):
        return Payout.objects.select_related("party")
    if organization is None:
        return Payout.objects.none()
    return Payout.objects.filter(party=organization, party__memberships__user=user).distinct()


BANK_CSV_COLUMNS = ["payout", "beneficiary", "organization_id", "amount", "currency", "reference"]


def payouts_bank_csv(*, currency: str | None = None, run: SettlementRun | None = None) -> str:
    """An overview of manual payouts waiting at the bank (status submitted), as CSV text.

    Not a bank file and served by no page: the bank gets the SEPA file of
    ``billing.bank.bank_file_create`` (IBAN, BIC, one transfer per beneficiary, exported
    once). Amounts are decimal major units ('140.00'). With ``run``, only its payouts.
    """
    payouts = Payout.objects.filter(provider="manual", status=Payout.Status.SUBMITTED)
    if currency:
        payouts = payouts.filter(currency=currency)
    if run is not None:
        payouts = payouts.filter(settlement_run=run)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BANK_CSV_COLUMNS)
    for payout in payouts.select_related("party").order_by("id"):
        writer.writerow(
            [
                payout.pk,
                payout.party.name,
                payout.party_id,
                str(payout.amount.amount),
                payout.currency,
                payout.idempotency_key,
            ]
        )
    return out.getvalue()


def payment_for_order(*, order_id: int) -> Payment | None:
    """The order's confirmed payment, if any, also once partly or fully refunded: a refund
    during a dispute does not end the order's money (the platform may still pay the parties
    for accepted work, see ``escrow_top_up``)."""
    return (
        Payment.objects.filter(
            order_id=order_id,
            status__in=[
                Payment.Status.CONFIRMED,
                Payment.Status.PARTIALLY_REFUNDED,
                Payment.Status.REFUNDED,
            ],
        )
        .order_by("-pk")
        .first()
    )


def payments_for_order(*, order_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(order_id=order_id).order_by("-pk")


# -- the operator console's billing box ------------------------------------------------------
@dataclass(frozen=True)
class RevenueDay:
    day: dt.date
    revenue: Money


@dataclass(frozen=True)
class BillingOverview:
    """Per currency: what the platform earned and what it still owes or has paid out."""

    currency: str
    revenue: Money  # platform revenue balance (fees earned, net of corrections)
    fees: Money  # platform fees recorded at release
    payouts_pending_count: int  # released, not yet paid (pending, processing, failed, submitted)
    payouts_pending: Money
    payouts_paid: Money  # net of reversals
    daily_revenue: list[RevenueDay]  # the last ``days`` days, oldest first, zeros included


PENDING_PAYOUT = (
    Payout.Status.PENDING,
    Payout.Status.PROCESSING,
    Payout.Status.FAILED,
    Payout.Status.SUBMITTED,
)


def billing_overview(*, days: int = 30) -> list[BillingOverview]:
    """The operator console's billing numbers, one entry per currency seen (a few queries)."""
    today = timezone.localdate()
    since = today - dt.timedelta(days=days - 1)
    revenue = dict(
        LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.PLATFORM_REVENUE)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    fees = dict(
        ShareRecord.objects.filter(kind=ShareRecord.Kind.PLATFORM)
        .values("currency")
        .annotate(total=Sum("payable_minor"))
        .values_list("currency", "total")
    )
    payouts = {
        row["currency"]: row
        for row in Payout.objects.values("currency").annotate(
            pending_count=Count("id", filter=Q(status__in=PENDING_PAYOUT)),
            pending=Sum("amount_minor", filter=Q(status__in=PENDING_PAYOUT)),
            paid=Sum(
                F("amount_minor") - F("reversed_minor"),
                filter=Q(status__in=[Payout.Status.PAID, Payout.Status.REVERSED]),
            ),
        )
    }
    series: dict[str, dict[dt.date, int]] = {}
    for currency, day, total in (
        LedgerEntry.objects.filter(
            account__kind=LedgerAccount.Kind.PLATFORM_REVENUE,
            transaction__created_at__date__gte=since,
        )
        .annotate(day=TruncDate("transaction__created_at"))
        .values("currency", "day")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "day", "total")
    ):
        series.setdefault(currency, {})[day] = total
    overview = []
    for currency in sorted(set(revenue) | set(fees) | set(payouts)):
        row = payouts.get(currency, {})
        daily = series.get(currency, {})
        overview.append(
            BillingOverview(
                currency=currency,
                revenue=Money(revenue.get(currency) or 0, currency),
                fees=Money(fees.get(currency) or 0, currency),
                payouts_pending_count=row.get("pending_count") or 0,
                payouts_pending=Money(row.get("pending") or 0, currency),
                payouts_paid=Money(row.get("paid") or 0, currency),
                daily_revenue=[
                    RevenueDay(day=day, revenue=Money(daily.get(day, 0), currency))
                    for day in (since + dt.timedelta(days=i) for i in range(days))
                ],
            )
        )
    return overview


def settlement_runs() -> QuerySet[SettlementRun]:
    return SettlementRun.objects.select_related("started_by")


def settlement_run_get(*, run_id: int) -> SettlementRun:
    try:
        return SettlementRun.objects.get(pk=run_id)
    except (SettlementRun.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such settlement run.") from None


def settlement_run_payouts(*, run: SettlementRun) -> QuerySet[Payout]:
    return run.payouts.select_related("party", "bank_file").order_by("id")


def bank_files_for_run(*, run: SettlementRun) -> QuerySet[BankFile]:
    return run.bank_files.order_by("-id")


def bank_file_get(*, file_id: int) -> BankFile:
    try:
        return BankFile.objects.select_related("run").get(pk=file_id)
    except (BankFile.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such SEPA file.") from None


def payout_get(*, payout_id: int) -> Payout:
    try:
        return Payout.objects.select_related("bank_file", "settlement_run").get(pk=payout_id)
    except (Payout.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such payout.") from None


# -- escrow ---------------------------------------------------------------------------------
PRICE_RELEASE_PREFIX = "release-price"


def price_release_key(*, order_id: int, party_id: str) -> str:
    """The ledger key of one party's price released on acceptance (see share_price_release)."""
    return f"{PRICE_RELEASE_PREFIX}:{order_id}:{party_id}"


def full_release_key(*, order_id: int) -> str:
    """The ledger key of the order's release in full at completion (see funds_release)."""
    return f"release:{order_id}"


def held_for_order(order_id: int) -> Money:
    """What is still held in escrow for the order: the customer-funds-held entries of its
    transactions (payment in, prices and the rest released, refunds out), in one query.

    Zero in the payment's currency when nothing was ever posted.
    """
    rows = list(
        LedgerEntry.objects.filter(
            transaction__order_id=order_id,
            account__kind=LedgerAccount.Kind.CUSTOMER_FUNDS_HELD,
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    if len(rows) > 1:
        raise ValueError(f"Order {order_id} has funds held in several currencies.")
    if rows:
        currency, total = rows[0]
        return Money(total or 0, currency)
    payment = Payment.objects.filter(order_id=order_id).order_by("-pk").first()
    return Money(0, payment.currency if payment else "EUR")


def pending_refunds_for_order(order_id: int) -> int:
    """Minor units of the escrow reserved by refunds of the order whose outcome is not known
    yet (their net: the VAT given back with them comes out of VAT payable): still held in
    the ledger, but promised back to the customer."""
    return sum(
        amount - vat
        for amount, vat in Refund.objects.filter(
            payment__order_id=order_id, status=Refund.Status.PENDING
        ).values_list("amount_minor", "vat_minor")
    )


def refunds_count_for_order(order_id: int) -> int:
    return Refund.objects.filter(payment__order_id=order_id).count()


def order_released(*, order_id: int) -> bool:
    """Whether the order's completion release was posted (key ``release:<order_id>``)."""
    return LedgerTransaction.objects.filter(
        idempotency_key=full_release_key(order_id=order_id)
    ).exists()


def available_for_order(order_id: int) -> Money:
    """What the order holds and has not promised yet: held minus pending refunds. Nothing
    may be released or refunded beyond it (the per-order escrow invariant)."""
    held = held_for_order(order_id)
    return Money(held.minor - pending_refunds_for_order(order_id), held.currency)


def released_prices(*, order_id: int) -> dict[str, Money]:
    """The price each party of the order was paid on acceptance so far, by party id.

    Read from the ``release-price:<order_id>:<party_id>`` postings (what went into the
    party's payable); a posting corrected by a reversal no longer counts.
    """
    prefix = f"{PRICE_RELEASE_PREFIX}:{order_id}:"
    released: dict[str, Money] = {}
    for key, minor, currency in LedgerEntry.objects.filter(
        transaction__idempotency_key__startswith=prefix,
        transaction__reversed_by__isnull=True,
        amount_minor__gt=0,
    ).values_list("transaction__idempotency_key", "amount_minor", "currency"):
        party_id = key[len(prefix) :]
        released[party_id] = released.get(party_id, Money(0, currency)) + Money(minor, currency)
    return released
