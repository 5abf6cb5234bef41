"""One order's statement for one organization, built from what billing recorded of it:
its lines (share records, prices released, prices taken back, corrections), payouts,
reversals, refunds and figures."""

from __future__ import annotations

import datetime as dt

from accounts.models import Organization
from billing.models import LedgerAccount, LedgerTransaction, Payout, Refund, ShareRecord
from billing.money import Money, sum_money
from billing.selectors import PRICE_RELEASE_PREFIX, full_release_key
from billing.statements.documents import (
    KIND_ADJUSTMENT,
    KIND_TAKEN_BACK,
    PARTY_KINDS,
    PLATFORM_NAME,
    ROLE_CUSTOMER,
    ROLE_PARTY,
    ROLE_PLATFORM,
    STATUS_CLOSED,
    STATUS_OPEN,
    STATUS_RELEASED,
    OrderStatement,
    PayoutLine,
    RefundLine,
    ReversalLine,
    StatementLine,
)
from billing.statements.notes import covered_note
from billing.statements.records import OrderData


def _role_in_order(organization: Organization, data: OrderData) -> str:
    if organization.kind == Organization.Kind.PLATFORM:
        return ROLE_PLATFORM
    if any(p.payer_id == organization.pk for p in data.payments) or (
        data.records and data.records[0].customer_id == organization.pk
    ):
        return ROLE_CUSTOMER
    return ROLE_PARTY


def order_statement_build(
    *,
    organization: Organization,
    order_id: int,
    date: dt.datetime,
    data: OrderData,
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
                Money(p.confirmed_amount_minor - p.vat_minor, p.currency)
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
        notes=notes + covered_note(data.covered),
        covered=data.covered,
    )


def _reference_of(data: OrderData) -> str:
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
        amount=refund.net,  # statements exclude VAT; the credit note shows it
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
    *, organization: Organization, role: str, order_id: int, data: OrderData
) -> list[StatementLine]:
    """Lines for what moved on the parties' payables outside the release in full: prices
    released on acceptance with no share record (the order never completed), prices taken
    back and corrections. A party reads its own; the customer reads every party's."""
    price_prefix = f"{PRICE_RELEASE_PREFIX}:{order_id}:"
    full_release = full_release_key(order_id=order_id)
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
    *, organization: Organization, role: str, data: OrderData
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
