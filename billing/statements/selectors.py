"""The statements an organization reads: one order's, a period's, and the months it has
statements in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from django.utils import timezone

from accounts.models import Organization
from billing.errors import NotFound
from billing.money import sum_money
from billing.settlement import period_bounds
from billing.statements.documents import (
    ROLE_CUSTOMER,
    ROLE_PARTY,
    ROLE_PLATFORM,
    OrderStatement,
    PeriodStatement,
    PeriodTotal,
)
from billing.statements.lines import order_statement_build
from billing.statements.notes import notes_with_others
from billing.statements.records import order_data, order_dates


def _role(organization: Organization) -> str:
    if organization.kind == Organization.Kind.PLATFORM:
        return ROLE_PLATFORM
    if organization.kind == Organization.Kind.CUSTOMER:
        return ROLE_CUSTOMER
    return ROLE_PARTY


def _statements(
    *,
    organization: Organization,
    dates: Mapping[int, dt.datetime],
    notes: Mapping[int, Sequence[str]] | None = None,
) -> list[OrderStatement]:
    """Build the organization's statements for the orders (a fixed number of queries)."""
    order_ids = sorted(dates)
    data = order_data(organization=organization, order_ids=order_ids)
    notes = notes_with_others(order_ids=order_ids, notes=notes)
    statements = []
    for order_id in order_ids:
        statement = order_statement_build(
            organization=organization,
            order_id=order_id,
            date=dates[order_id],
            data=data[order_id],
            notes=list((notes or {}).get(order_id, ())),
        )
        if statement is not None:
            statements.append(statement)
    return statements


def order_statement(
    *, organization: Organization, order_id: int, notes: Sequence[str] = ()
) -> OrderStatement:
    """The organization's statement for one order, or NotFound if it has none.

    ``notes``: sentences about this order to show under its lines and in its PDFs, e.g. the
    explanation of a dispute decision (the marketplace reads it and passes it here; billing
    stores none).
    """
    dates = order_dates(organization, order_ids=[order_id])
    statements = (
        _statements(organization=organization, dates=dates, notes={order_id: notes})
        if dates
        else []
    )
    if not statements:
        raise NotFound("No statement for this order: no money has moved for it yet, or not yours.")
    return statements[0]


def period_statement(
    *,
    organization: Organization,
    period_start: dt.date,
    period_end: dt.date,
    notes: Mapping[int, Sequence[str]] | None = None,
) -> PeriodStatement:
    """Every order whose statement date falls in the period (``period_end`` inclusive), with
    per-currency totals. ``notes`` maps an order id to its notes (see ``order_statement``)."""
    start, end = period_bounds(period_start=period_start, period_end=period_end)
    dates = {
        order_id: at for order_id, at in order_dates(organization).items() if start <= at < end
    }
    statements = _statements(organization=organization, dates=dates, notes=notes)
    by_currency: dict[str, list[OrderStatement]] = defaultdict(list)
    for statement in statements:
        by_currency[statement.currency].append(statement)
    totals = []
    for currency, group in sorted(by_currency.items()):
        totals.append(
            PeriodTotal(
                currency=currency,
                orders=len(group),
                total=sum_money((s.total for s in group), currency),
                amount_paid=sum_money((s.amount_paid for s in group), currency),
                outstanding=sum_money((s.outstanding for s in group), currency),
                refunded=sum_money((s.refunded for s in group), currency),
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
    """The first day of each month in which the organization has statements, newest first."""
    months = {
        timezone.localtime(at).date().replace(day=1) for at in order_dates(organization).values()
    }
    return sorted(months, reverse=True)
