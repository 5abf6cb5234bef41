"""What billing recorded about a set of orders, read in bulk (a fixed number of queries
whatever the number of orders) for the statements to build from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Min, Q, Sum

from accounts.models import Organization
from billing.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
    ShareRecord,
)
from billing.money import Money
from billing.statements.documents import PARTY_KINDS

PAID_PAYMENT = (
    Payment.Status.CONFIRMED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
)


def _visible_records(organization: Organization):
    if organization.kind == Organization.Kind.PLATFORM:
        return ShareRecord.objects.filter(kind=ShareRecord.Kind.PLATFORM)
    return ShareRecord.objects.filter(
        Q(customer=organization) | Q(organization=organization, kind__in=PARTY_KINDS)
    )


def order_dates(
    organization: Organization, *, order_ids: Iterable[int] | None = None
) -> dict[int, dt.datetime]:
    """Every order the organization has a statement for, with the statement's date: the
    release in full, else the first money movement it can see (in four queries)."""
    restrict = {} if order_ids is None else {"order_id__in": list(order_ids)}
    released = dict(
        _visible_records(organization)
        .filter(**restrict)
        .values("order_id")
        .annotate(at=Min("created_at"))
        .values_list("order_id", "at")
    )
    if organization.kind == Organization.Kind.PLATFORM:
        return released
    entry_restrict = {} if order_ids is None else {"transaction__order_id__in": list(order_ids)}
    paid_orders = Payment.objects.filter(payer=organization, status__in=PAID_PAYMENT)
    if order_ids is not None:
        paid_orders = paid_orders.filter(order_id__in=list(order_ids))
    moved = (
        LedgerEntry.objects.filter(
            Q(account__owner=organization)
            | (
                Q(transaction__order_id__in=paid_orders.values("order_id"))
                & ~Q(transaction__kind=LedgerTransaction.Kind.PAYOUT_REVERSAL)
            ),
            account__kind__in=LedgerAccount.PAYABLE_KINDS,
            transaction__order_id__isnull=False,
            **entry_restrict,
        )
        .exclude(transaction__kind=LedgerTransaction.Kind.PAYOUT)
        .values("transaction__order_id")
        .annotate(at=Min("transaction__created_at"))
        .values_list("transaction__order_id", "at")
    )
    refunded = (
        Refund.objects.filter(payment__in=paid_orders, status=Refund.Status.SUCCEEDED)
        .values("payment__order_id")
        .annotate(at=Min("completed_at"), created=Min("created_at"))
        .values_list("payment__order_id", "at", "created")
    )
    first: dict[int, dt.datetime] = {}
    events = [*moved, *((order_id, at or created) for order_id, at, created in refunded)]
    for order_id, at in events:
        if order_id not in first or at < first[order_id]:
            first[order_id] = at
    return {**first, **released}


@dataclass
class OrderData:
    """What billing recorded about one order, read in bulk for a page of statements."""

    records: list[ShareRecord] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)  # on payables, payouts excluded
    held: Money | None = None
    covered: Money | None = None  # what the platform paid in for a shortfall (``subsidy``)


def order_data(*, organization: Organization, order_ids: list[int]) -> dict[int, OrderData]:
    """Everything the statements of these orders read, in six queries whatever their number."""
    data: dict[int, OrderData] = defaultdict(OrderData)
    for record in ShareRecord.objects.filter(order_id__in=order_ids).select_related("organization"):
        data[record.order_id].records.append(record)
    for payout in Payout.objects.filter(order_id__in=order_ids, party=organization).order_by("id"):
        data[payout.order_id].payouts.append(payout)
    for payment in Payment.objects.filter(order_id__in=order_ids, status__in=PAID_PAYMENT):
        data[payment.order_id].payments.append(payment)
    for refund in (
        Refund.objects.filter(
            payment__order_id__in=order_ids,
            payment__payer=organization,
            status=Refund.Status.SUCCEEDED,
        )
        .select_related("payment", "credit_note")
        .order_by("completed_at", "id")
    ):
        data[refund.payment.order_id].refunds.append(refund)
    for entry in (
        LedgerEntry.objects.filter(
            transaction__order_id__in=order_ids, account__kind__in=LedgerAccount.PAYABLE_KINDS
        )
        .exclude(transaction__kind=LedgerTransaction.Kind.PAYOUT)
        .select_related("transaction", "account__owner")
        .order_by("transaction__created_at", "id")
    ):
        data[entry.transaction.order_id].entries.append(entry)
    for order_id, currency, total, covered in (
        LedgerEntry.objects.filter(
            transaction__order_id__in=order_ids,
            account__kind=LedgerAccount.Kind.CUSTOMER_FUNDS_HELD,
        )
        .values("transaction__order_id", "currency")
        .annotate(
            total=Sum("amount_minor"),
            covered=Sum("amount_minor", filter=Q(transaction__kind=LedgerTransaction.Kind.SUBSIDY)),
        )
        .values_list("transaction__order_id", "currency", "total", "covered")
    ):
        data[order_id].held = Money(total or 0, currency)
        data[order_id].covered = Money(covered or 0, currency)
    return data
