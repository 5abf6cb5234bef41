"""What a statement is: its lines, figures and totals, as frozen dataclasses that the page,
the API and the PDFs render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from billing.models import ShareRecord
from billing.money import Money, sum_money

ROLE_CUSTOMER = "customer"
ROLE_PARTY = "party"
ROLE_PLATFORM = "platform"
PARTY_KINDS = (ShareRecord.Kind.WORKSHOP, ShareRecord.Kind.CARRIER)

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

PLATFORM_NAME = "Cloud Factory"  # the party named on the platform fee's line


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
