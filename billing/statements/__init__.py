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

Where each part lives: ``documents`` (the dataclasses the page, the API and the PDFs render),
``records`` (what billing recorded, read in bulk), ``lines`` (one order's statement built from
it), ``notes`` (the sentences under the lines) and ``selectors`` (the reads callers use). The
names below are the package's public surface; import them from ``billing.statements``.
"""

from billing.statements.documents import (
    KIND_ADJUSTMENT,
    KIND_TAKEN_BACK,
    PARTY_KINDS,
    PARTY_LINE_KINDS,
    PLATFORM_NAME,
    ROLE_CUSTOMER,
    ROLE_PARTY,
    ROLE_PLATFORM,
    STATUS_CLOSED,
    STATUS_LABELS,
    STATUS_OPEN,
    STATUS_RELEASED,
    OrderStatement,
    PayoutLine,
    PeriodStatement,
    PeriodTotal,
    RefundLine,
    ReversalLine,
    StatementLine,
)
from billing.statements.selectors import order_statement, period_statement, statement_months

__all__ = [
    "KIND_ADJUSTMENT",
    "KIND_TAKEN_BACK",
    "PARTY_KINDS",
    "PARTY_LINE_KINDS",
    "PLATFORM_NAME",
    "ROLE_CUSTOMER",
    "ROLE_PARTY",
    "ROLE_PLATFORM",
    "STATUS_CLOSED",
    "STATUS_LABELS",
    "STATUS_OPEN",
    "STATUS_RELEASED",
    "OrderStatement",
    "PayoutLine",
    "PeriodStatement",
    "PeriodTotal",
    "RefundLine",
    "ReversalLine",
    "StatementLine",
    "order_statement",
    "period_statement",
    "statement_months",
]
