"""Statements: what each organization got from an order, and over a period, line by line.

Read from the ``ShareRecord`` rows that ``funds_release`` wrote with the release, so a
statement shows the split as it was released and never recomputes it. Three readers:

- the **customer** sees every line of its order (each step and leg by party, the platform
  fee, the rebate); the lines add up to what it paid;
- a **workshop or carrier** sees its own lines (price, margin share with the sharing rule's
  explanation, payable) and the payouts of that order with their status;
- the **platform** (operators' organization) sees its fee per order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Organization
from billing.errors import NotFound
from billing.models import Payment, Payout, ShareRecord
from billing.money import Money, sum_money
from billing.settlement import period_bounds

ROLE_CUSTOMER = "customer"
ROLE_PARTY = "party"
ROLE_PLATFORM = "platform"
PARTY_KINDS = (ShareRecord.Kind.WORKSHOP, ShareRecord.Kind.CARRIER)
PAID_PAYMENT = (
    Payment.Status.CONFIRMED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
)


@dataclass(frozen=True)
class StatementLine:
    """One step, leg, fee or rebate: its price, margin share and what it comes to."""

    kind: str
    label: str
    party: str  # the organization's name ("Cloud Factory" for the fee)
    price: Money
    margin_share: Money
    forfeited: Money
    amount: Money  # the payable: price + margin share (the fee or rebate itself)
    explanation: str


@dataclass(frozen=True)
class PayoutLine:
    payout_id: int
    key: str
    amount: Money
    reversed: Money
    status: str
    status_label: str
    paid_at: dt.datetime | None


@dataclass(frozen=True)
class OrderStatement:
    """One organization's statement for one order; ``total`` is the sum of ``lines``."""

    order_id: int
    reference: str
    role: str
    organization: str
    currency: str
    released_at: dt.datetime
    lines: list[StatementLine]
    total: Money
    customer_price: Money  # what the whole order cost the customer
    margin: Money
    platform_fee: Money
    rebate: Money
    amount_paid: Money  # customer: confirmed payment; parties: paid payouts net of reversals
    payouts: list[PayoutLine] = field(default_factory=list)

    @property
    def outstanding(self) -> Money:
        """Parties: still to be paid out; customers: what the payment lacks (normally 0)."""
        return self.total - self.amount_paid


@dataclass(frozen=True)
class PeriodTotal:
    currency: str
    orders: int
    total: Money
    amount_paid: Money
    outstanding: Money


@dataclass(frozen=True)
class PeriodStatement:
    organization: str
    role: str
    period_start: dt.date
    period_end: dt.date
    orders: list[OrderStatement]
    totals: list[PeriodTotal]  # one per currency


def _role(organization: Organization) -> str:
    if organization.kind == Organization.Kind.PLATFORM:
        return ROLE_PLATFORM
    if organization.kind == Organization.Kind.CUSTOMER:
        return ROLE_CUSTOMER
    return ROLE_PARTY


def _visible_records(organization: Organization):
    if organization.kind == Organization.Kind.PLATFORM:
        return ShareRecord.objects.filter(kind=ShareRecord.Kind.PLATFORM)
    return ShareRecord.objects.filter(
        Q(customer=organization) | Q(organization=organization, kind__in=PARTY_KINDS)
    )


PLATFORM_NAME = "Cloud Factory"


def _statements(*, organization: Organization, order_ids: list[int]) -> list[OrderStatement]:
    """Build the organization's statements for the orders (a fixed number of queries)."""
    records_by_order: dict[int, list[ShareRecord]] = defaultdict(list)
    for record in ShareRecord.objects.filter(order_id__in=order_ids).select_related("organization"):
        records_by_order[record.order_id].append(record)
    payouts_by_order: dict[int, list[Payout]] = defaultdict(list)
    for payout in Payout.objects.filter(order_id__in=order_ids, party=organization).order_by("id"):
        payouts_by_order[payout.order_id].append(payout)
    paid_by_order = {
        order_id: (amount, currency)
        for order_id, amount, currency in Payment.objects.filter(
            order_id__in=order_ids, status__in=PAID_PAYMENT
        ).values_list("order_id", "confirmed_amount_minor", "currency")
    }
    return [
        _order_statement(
            organization=organization,
            records=records_by_order[order_id],
            payouts=payouts_by_order.get(order_id, []),
            paid=paid_by_order.get(order_id),
        )
        for order_id in order_ids
        if records_by_order.get(order_id)
    ]


def _order_statement(
    *,
    organization: Organization,
    records: list[ShareRecord],
    payouts: list[Payout],
    paid: tuple[int, str] | None,
) -> OrderStatement:
    """One order's statement from its share records, the organization's payouts of it and the
    customer's confirmed payment (minor units and currency, if any)."""
    first = records[0]
    currency = first.currency
    role, mine = _own_records(organization=organization, records=records)
    lines = [
        StatementLine(
            kind=r.kind,
            label=r.label,
            party=(r.organization.name if r.organization_id else PLATFORM_NAME),
            price=r.price,
            margin_share=r.margin_share,
            forfeited=r.forfeited,
            amount=r.payable,
            explanation=r.explanation,
        )
        for r in mine
    ]
    fee = sum_money((r.payable for r in records if r.kind == ShareRecord.Kind.PLATFORM), currency)
    rebate = sum_money((r.payable for r in records if r.kind == ShareRecord.Kind.REBATE), currency)
    payout_lines = [
        PayoutLine(
            payout_id=p.pk,
            key=p.idempotency_key,
            amount=p.amount,
            reversed=Money(p.reversed_minor, p.currency),
            status=p.status,
            status_label=p.get_status_display(),
            paid_at=p.paid_at,
        )
        for p in payouts
    ]
    if role == ROLE_CUSTOMER:
        minor, paid_currency = paid or (0, currency)
        amount_paid = Money(minor, paid_currency)
    elif role == ROLE_PLATFORM:
        amount_paid = fee  # the fee is earned at release
    else:
        amount_paid = sum_money(
            (
                Money(p.amount.minor - p.reversed.minor, currency)
                for p in payout_lines
                if p.status in (Payout.Status.PAID, Payout.Status.REVERSED)
            ),
            currency,
        )
    return OrderStatement(
        order_id=first.order_id,
        reference=first.reference,
        role=role,
        organization=organization.name,
        currency=currency,
        released_at=first.created_at,
        lines=lines,
        total=sum_money((line.amount for line in lines), currency),
        customer_price=sum_money((r.payable for r in records), currency),
        margin=Money(first.margin_minor, currency),
        platform_fee=fee,
        rebate=rebate,
        amount_paid=amount_paid,
        payouts=payout_lines,
    )


def _own_records(
    *, organization: Organization, records: list[ShareRecord]
) -> tuple[str, list[ShareRecord]]:
    """The organization's role in the order and the records its statement shows."""
    if organization.kind == Organization.Kind.PLATFORM:
        return ROLE_PLATFORM, [r for r in records if r.kind == ShareRecord.Kind.PLATFORM]
    if records[0].customer_id == organization.pk:
        return ROLE_CUSTOMER, records
    return ROLE_PARTY, [
        r for r in records if r.organization_id == organization.pk and r.kind in PARTY_KINDS
    ]


def order_statement(*, organization: Organization, order_id: int) -> OrderStatement:
    """The organization's statement for one released order, or NotFound if it has none."""
    if not _visible_records(organization).filter(order_id=order_id).exists():
        raise NotFound("No statement for this order: it is not released yet, or not yours.")
    (statement,) = _statements(organization=organization, order_ids=[order_id])
    return statement


def period_statement(
    *, organization: Organization, period_start: dt.date, period_end: dt.date
) -> PeriodStatement:
    """Every order released in the period (``period_end`` inclusive), with per-currency totals."""
    start, end = period_bounds(period_start=period_start, period_end=period_end)
    order_ids = list(
        _visible_records(organization)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by("order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )
    statements = _statements(organization=organization, order_ids=order_ids)
    by_currency: dict[str, list[OrderStatement]] = defaultdict(list)
    for statement in statements:
        by_currency[statement.currency].append(statement)
    totals = []
    for currency, group in sorted(by_currency.items()):
        total = sum_money((s.total for s in group), currency)
        paid = sum_money((s.amount_paid for s in group), currency)
        totals.append(
            PeriodTotal(
                currency=currency,
                orders=len(group),
                total=total,
                amount_paid=paid,
                outstanding=total - paid,
            )
        )
    return PeriodStatement(
        organization=organization.name,
        role=_role(organization),
        period_start=period_start,
        period_end=period_end,
        orders=statements,
        totals=totals,
    )


def statement_months(*, organization: Organization) -> list[dt.date]:
    """The first day of each month in which the organization has released orders, newest first."""
    dates = _visible_records(organization).dates("created_at", "month", order="DESC")
    return list(dates)
