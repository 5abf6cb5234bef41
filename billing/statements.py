"""Statements: what each organization got from an order, and over a period, line by line.

Read from what billing recorded, never recomputed:

- the ``ShareRecord`` rows that ``funds_release`` wrote at completion (the split as released);
- the prices released on acceptance (``release-price:<order>:<party>`` postings), which are
  all that the parties keep of an order cancelled, expired or ended by a dispute before
  completion;
- every other movement on a party's payable for the order (a price taken back, an
  adjustment, a payout reversal), as its own dated line;
- every refund that succeeded, whatever its cause, as its own dated line with its reason and
  its credit note (``billing.credit_notes``).

Three readers:

- the **customer** sees every line of its order (each step and leg by party, the platform
  fee, the rebate, or only the prices the parties kept when the order never completed), what
  it paid, each refund, and the net (paid - refunded);
- a **workshop or carrier** sees its own lines (price, margin share with the sharing rule's
  explanation, payable; a price released on acceptance without margin share when the order
  never completed; negative lines for what was taken back) and the payouts of that order
  with their status and reversals;
- the **platform** (operators' organization) sees its fee per order.

An order has a statement for an organization once money moved for it: released in full,
a price released, a refund made. Its ``date`` (which month it belongs to) is the full
release, else its first such movement.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Min, Q, Sum
from django.utils import timezone

from accounts.models import Organization
from billing.errors import NotFound
from billing.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
    ShareRecord,
)
from billing.money import Money, sum_money
from billing.selectors import PRICE_RELEASE_PREFIX
from billing.settlement import period_bounds
from billing.signals import statement_notes

ROLE_CUSTOMER = "customer"
ROLE_PARTY = "party"
ROLE_PLATFORM = "platform"
PARTY_KINDS = (ShareRecord.Kind.WORKSHOP, ShareRecord.Kind.CARRIER)
PAID_PAYMENT = (
    Payment.Status.CONFIRMED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
)
PAYABLE_KINDS = (LedgerAccount.Kind.WORKSHOP_PAYABLE, LedgerAccount.Kind.CARRIER_PAYABLE)

# Line kinds beyond the share records' (workshop, carrier, platform, rebate).
KIND_TAKEN_BACK = "taken_back"  # negative: a price or payable taken back from a party
KIND_ADJUSTMENT = "adjustment"  # positive: a payable added by a correction
PARTY_LINE_KINDS = (*PARTY_KINDS, KIND_TAKEN_BACK, KIND_ADJUSTMENT)

# Where an order stands, for the statement's reader.
STATUS_RELEASED = "released"  # completed: released in full (margin shares, fee, rebate)
STATUS_CLOSED = "closed"  # ended before completion; nothing is held any more
STATUS_OPEN = "open"  # money is still held for the order
STATUS_LABELS = {
    STATUS_RELEASED: "Released in full",
    STATUS_CLOSED: "Ended before completion",
    STATUS_OPEN: "In progress",
}


@dataclass(frozen=True)
class StatementLine:
    """One step, leg, fee, rebate or correction: its price, margin share and what it comes to."""

    kind: str
    label: str
    party: str  # the organization's name ("Cloud Factory" for the fee)
    price: Money
    margin_share: Money
    forfeited: Money
    amount: Money  # the payable: price + margin share (the fee or rebate itself); < 0 taken back
    explanation: str
    date: dt.datetime | None = None  # when it was released or taken back


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
class ReversalLine:
    """Money taken back from a party's payout (shown negative; it is owed to the party again
    unless a line of the statement takes the price back too)."""

    date: dt.datetime
    description: str
    amount: Money  # negative


@dataclass(frozen=True)
class RefundLine:
    """A refund to the customer that succeeded, whatever its cause, with its credit note."""

    refund_id: int
    date: dt.datetime
    reason: str
    amount: Money
    credit_note_id: int | None = None
    credit_note_number: str = ""


@dataclass(frozen=True)
class OrderStatement:
    """One organization's statement for one order; ``total`` is the sum of ``lines``.

    ``notes`` are free sentences shown on the page and in the PDFs under the lines: the hook
    through which an order's dispute decision explains itself (``order_statement(...,
    notes=[...])``); billing writes none itself.
    """

    order_id: int
    reference: str
    role: str
    organization: str
    currency: str
    released_at: dt.datetime | None  # the release in full at completion; None if never
    date: dt.datetime  # the release in full, else the first money movement of the order
    status: str  # STATUS_RELEASED, STATUS_CLOSED or STATUS_OPEN
    lines: list[StatementLine]
    total: Money
    customer_price: Money  # what the whole order cost the customer as split (released only)
    margin: Money
    platform_fee: Money
    rebate: Money
    amount_paid: Money  # customer: confirmed payments; parties: paid payouts net of reversals
    held: Money  # still held in escrow for the order
    payouts: list[PayoutLine] = field(default_factory=list)
    payout_reversals: list[ReversalLine] = field(default_factory=list)
    refunds: list[RefundLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    covered: Money | None = None  # paid in by the platform for a shortfall, not by the customer

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def refunded(self) -> Money:
        """Customers: every refund that succeeded."""
        return sum_money((r.amount for r in self.refunds), self.currency)

    @property
    def net_paid(self) -> Money:
        """Customers: what the order cost in the end (paid - refunded)."""
        return self.amount_paid - self.refunded

    @property
    def kept(self) -> Money:
        """What the workshops and carriers keep of the order (prices, margin shares, less
        what was taken back)."""
        return sum_money(
            (line.amount for line in self.lines if line.kind in PARTY_LINE_KINDS), self.currency
        )

    @property
    def outstanding(self) -> Money:
        """Parties: still to be paid out. Customers: what the payments lack for the lines,
        the refunds and what is still held (normally 0). The rebate is a line of the price
        but goes back to the customer (held until refunded, then a refund line)."""
        if self.role == ROLE_CUSTOMER:
            covered = self.covered or Money(0, self.currency)
            return self.total - self.rebate - covered + self.held - self.net_paid
        return self.total - self.amount_paid


@dataclass(frozen=True)
class PeriodTotal:
    currency: str
    orders: int
    total: Money
    amount_paid: Money
    outstanding: Money
    refunded: Money


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


def _order_dates(
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
            account__kind__in=PAYABLE_KINDS,
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
class _OrderData:
    """What billing recorded about one order, read in bulk for a page of statements."""

    records: list[ShareRecord] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)  # on payables, payouts excluded
    held: Money | None = None
    covered: Money | None = None  # what the platform paid in for a shortfall (``subsidy``)


def _order_data(*, organization: Organization, order_ids: list[int]) -> dict[int, _OrderData]:
    """Everything the statements of these orders read, in six queries whatever their number."""
    data: dict[int, _OrderData] = defaultdict(_OrderData)
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
            transaction__order_id__in=order_ids, account__kind__in=PAYABLE_KINDS
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


def _notes_with_others(
    *, order_ids: list[int], notes: Mapping[int, Sequence[str]] | None
) -> dict[int, list[str]]:
    """The caller's notes plus what other apps say about the orders (``statement_notes``)."""
    merged = {order_id: list(lines) for order_id, lines in (notes or {}).items()}
    if not order_ids:
        return merged
    for _receiver, answer in statement_notes.send(sender=None, order_ids=order_ids):
        for order_id, lines in (answer or {}).items():
            merged.setdefault(order_id, []).extend(lines)
    return merged


def _statements(
    *,
    organization: Organization,
    dates: Mapping[int, dt.datetime],
    notes: Mapping[int, Sequence[str]] | None = None,
) -> list[OrderStatement]:
    """Build the organization's statements for the orders (a fixed number of queries)."""
    order_ids = sorted(dates)
    data = _order_data(organization=organization, order_ids=order_ids)
    notes = _notes_with_others(order_ids=order_ids, notes=notes)
    statements = []
    for order_id in order_ids:
        statement = _order_statement(
            organization=organization,
            order_id=order_id,
            date=dates[order_id],
            data=data[order_id],
            notes=list((notes or {}).get(order_id, ())),
        )
        if statement is not None:
            statements.append(statement)
    return statements


def _role_in_order(organization: Organization, data: _OrderData) -> str:
    if organization.kind == Organization.Kind.PLATFORM:
        return ROLE_PLATFORM
    if any(p.payer_id == organization.pk for p in data.payments) or (
        data.records and data.records[0].customer_id == organization.pk
    ):
        return ROLE_CUSTOMER
    return ROLE_PARTY


def _order_statement(
    *,
    organization: Organization,
    order_id: int,
    date: dt.datetime,
    data: _OrderData,
    notes: list[str],
) -> OrderStatement | None:
    """One order's statement from what billing recorded of it; None if nothing is left for
    the organization to read (the platform's statement of an order never released)."""
    role = _role_in_order(organization, data)
    records = data.records
    if role == ROLE_PLATFORM and not records:
        return None
    first = records[0] if records else None
    payment = data.payments[0] if data.payments else None
    currency = (
        first.currency
        if first
        else payment.currency
        if payment
        else data.entries[0].currency
        if data.entries
        else data.payouts[0].currency
    )
    reference = first.reference if first else payment.reference if payment else _reference_of(data)
    mine = _own_records(organization=organization, role=role, records=records)
    lines = [_record_line(r) for r in mine]
    if role != ROLE_PLATFORM:
        lines += _movement_lines(organization=organization, role=role, order_id=order_id, data=data)
    fee = sum_money((r.payable for r in records if r.kind == ShareRecord.Kind.PLATFORM), currency)
    rebate = sum_money((r.payable for r in records if r.kind == ShareRecord.Kind.REBATE), currency)
    payout_lines = [_payout_line(p) for p in data.payouts]
    total = sum_money((line.amount for line in lines), currency)
    if role == ROLE_CUSTOMER:
        amount_paid = sum_money(
            (
                Money(p.confirmed_amount_minor, p.currency)
                for p in data.payments
                if p.payer_id == organization.pk
            ),
            currency,
        )
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
    held = data.held or Money(0, currency)
    status = STATUS_RELEASED if records else STATUS_OPEN if held.minor else STATUS_CLOSED
    return OrderStatement(
        order_id=order_id,
        reference=reference,
        role=role,
        organization=organization.name,
        currency=currency,
        released_at=first.created_at if first else None,
        date=date,
        status=status,
        lines=lines,
        total=total,
        customer_price=sum_money((r.payable for r in records), currency),
        margin=Money(first.margin_minor if first else 0, currency),
        platform_fee=fee,
        rebate=rebate,
        amount_paid=amount_paid,
        held=held,
        payouts=payout_lines,
        payout_reversals=_reversal_lines(organization=organization, role=role, data=data),
        refunds=[_refund_line(r) for r in data.refunds] if role == ROLE_CUSTOMER else [],
        notes=notes + _covered_note(data.covered),
        covered=data.covered,
    )


def _covered_note(covered: Money | None) -> list[str]:
    if covered is None or not covered.minor:
        return []
    return [
        f"The platform paid {covered} of this order itself (a shortfall: the accepted work "
        "cost more than the order held); the customer was not charged for it."
    ]


def _reference_of(data: _OrderData) -> str:
    """The order's reference when it has no payment or record to read it from (a party's
    payout reference starts with it)."""
    if data.payouts:
        return data.payouts[0].reference.split(" ")[0]
    return ""


def _record_line(record: ShareRecord) -> StatementLine:
    return StatementLine(
        kind=record.kind,
        label=record.label,
        party=(record.organization.name if record.organization_id else PLATFORM_NAME),
        price=record.price,
        margin_share=record.margin_share,
        forfeited=record.forfeited,
        amount=record.payable,
        explanation=record.explanation,
        date=record.created_at,
    )


def _payout_line(payout: Payout) -> PayoutLine:
    return PayoutLine(
        payout_id=payout.pk,
        key=payout.idempotency_key,
        amount=payout.amount,
        reversed=Money(payout.reversed_minor, payout.currency),
        status=payout.status,
        status_label=payout.get_status_display(),
        paid_at=payout.paid_at,
    )


def _refund_line(refund: Refund) -> RefundLine:
    note = getattr(refund, "credit_note", None)
    return RefundLine(
        refund_id=refund.pk,
        date=refund.completed_at or refund.created_at,
        reason=refund.reason or "Refund",
        amount=refund.amount,
        credit_note_id=note.pk if note else None,
        credit_note_number=note.number if note else "",
    )


def _price_label(transaction: LedgerTransaction, party_id: str) -> str:
    """The work's label as ``share_price_release`` wrote it into the posting's description
    ("Price of <label> released on <reference>"), else the party id."""
    text = transaction.description
    if text.startswith("Price of ") and " released on " in text:
        return text[len("Price of ") : text.rindex(" released on ")]
    return party_id


def _movement_lines(
    *, organization: Organization, role: str, order_id: int, data: _OrderData
) -> list[StatementLine]:
    """Lines for what moved on the parties' payables outside the release in full: prices
    released on acceptance with no share record (the order never completed), prices taken
    back and corrections. A party reads its own; the customer reads every party's."""
    price_prefix = f"{PRICE_RELEASE_PREFIX}:{order_id}:"
    full_release = f"release:{order_id}"
    recorded = {r.party_id for r in data.records}
    lines = []
    for entry in data.entries:
        transaction = entry.transaction
        owner = entry.account.owner
        if transaction.kind == LedgerTransaction.Kind.PAYOUT_REVERSAL:
            continue  # payouts, not earnings: see _reversal_lines
        if role == ROLE_PARTY and entry.account.owner_id != organization.pk:
            continue
        amount = entry.amount
        kind = (
            ShareRecord.Kind.CARRIER
            if entry.account.kind == LedgerAccount.Kind.CARRIER_PAYABLE
            else ShareRecord.Kind.WORKSHOP
        )
        key = transaction.idempotency_key
        if amount.minor > 0 and key == full_release:
            continue  # in the share records
        if amount.minor > 0 and key.startswith(price_prefix):
            party_id = key[len(price_prefix) :]
            if party_id in recorded:
                continue  # the share record holds the price with its margin share
            when = transaction.created_at
            lines.append(
                StatementLine(
                    kind=kind,
                    label=_price_label(transaction, party_id),
                    party=owner.name,
                    price=amount,
                    margin_share=Money(0, amount.currency),
                    forfeited=Money(0, amount.currency),
                    amount=amount,
                    explanation=(
                        f"The price {amount} was released on {when:%Y-%m-%d} when the work was"
                        " accepted. Margin shares are paid only when an order completes:"
                        " none is included for this order."
                    ),
                    date=when,
                )
            )
            continue
        lines.append(
            StatementLine(
                kind=KIND_TAKEN_BACK if amount.minor < 0 else KIND_ADJUSTMENT,
                label=("Price taken back" if amount.minor < 0 else "Adjustment")
                + (f" from {owner.name}" if role == ROLE_CUSTOMER else ""),
                party=owner.name,
                price=Money(0, amount.currency),
                margin_share=Money(0, amount.currency),
                forfeited=Money(0, amount.currency),
                amount=amount,
                explanation=transaction.description,
                date=transaction.created_at,
            )
        )
    return lines


def _reversal_lines(
    *, organization: Organization, role: str, data: _OrderData
) -> list[ReversalLine]:
    """A party's payouts of the order taken back (negative), oldest first."""
    if role != ROLE_PARTY:
        return []
    return [
        ReversalLine(
            date=entry.transaction.created_at,
            description=entry.transaction.description,
            amount=-entry.amount,
        )
        for entry in data.entries
        if entry.transaction.kind == LedgerTransaction.Kind.PAYOUT_REVERSAL
        and entry.account.owner_id == organization.pk
        and entry.amount_minor > 0
    ]


def _own_records(
    *, organization: Organization, role: str, records: list[ShareRecord]
) -> list[ShareRecord]:
    """The records the organization's statement shows."""
    if role == ROLE_PLATFORM:
        return [r for r in records if r.kind == ShareRecord.Kind.PLATFORM]
    if role == ROLE_CUSTOMER:
        return records
    return [r for r in records if r.organization_id == organization.pk and r.kind in PARTY_KINDS]


def order_statement(
    *, organization: Organization, order_id: int, notes: Sequence[str] = ()
) -> OrderStatement:
    """The organization's statement for one order, or NotFound if it has none.

    ``notes``: sentences about this order to show under its lines and in its PDFs, e.g. the
    explanation of a dispute decision (the marketplace reads it and passes it here; billing
    stores none).
    """
    dates = _order_dates(organization, order_ids=[order_id])
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
        order_id: at for order_id, at in _order_dates(organization).items() if start <= at < end
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
        timezone.localtime(at).date().replace(day=1) for at in _order_dates(organization).values()
    }
    return sorted(months, reverse=True)
