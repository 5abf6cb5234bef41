"""Reads of billing: balances from aggregate queries, and what each organization may see."""

from __future__ import annotations

import csv
import io

from django.db.models import QuerySet, Sum

from accounts.models import Organization, User
from accounts.selectors import is_operator
from billing.models import LedgerAccount, LedgerEntry, Payment, Payout
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


def payouts_bank_csv(*, currency: str | None = None) -> str:
    """The bank file of manual payouts waiting to be sent (status submitted), as CSV text.

    Amounts are decimal major units ('140.00'); the reference is the payout key, which the
    operator uses to mark each line paid once the bank has executed it.
    """
    payouts = Payout.objects.filter(provider="manual", status=Payout.Status.SUBMITTED)
    if currency:
        payouts = payouts.filter(currency=currency)
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
    """The order's confirmed (or partly refunded) payment, if any."""
    return (
        Payment.objects.filter(
            order_id=order_id,
            status__in=[Payment.Status.CONFIRMED, Payment.Status.PARTIALLY_REFUNDED],
        )
        .order_by("-pk")
        .first()
    )


def payments_for_order(*, order_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(order_id=order_id).order_by("-pk")
