"""Releases: moving an order's held funds to the parties' payables and opening their payouts.

A party's own price is released when its work is accepted (``share_price_release``); the
rest (margin shares, platform fee, rebate) at completion (``funds_release``). Both lock the
payment row, so releases of one order are serialised, and both are idempotent on keys
derived from the order (``release-price:<order>:<party>``, ``release:<order>``). When to
release, and whether the order is frozen, is the caller's decision.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction

from accounts.models import Organization
from billing import selectors as billing_selectors
from billing.errors import Conflict, PaymentAmountMismatch
from billing.ledger import Posting, account_for, ledger_post, ledger_transfer
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment, ShareRecord
from billing.money import Money, sum_money
from billing.payouts import payout_create
from billing.sharing import OrderSplit

logger = logging.getLogger(__name__)

Kind = LedgerAccount.Kind
PARTY_ACCOUNT_KINDS = {"workshop": Kind.WORKSHOP_PAYABLE, "carrier": Kind.CARRIER_PAYABLE}


def party_account_kind(kind: str) -> str:
    """The payable account a party of this kind is owed in; a workshop's unless a carrier."""
    return PARTY_ACCOUNT_KINDS.get(kind, Kind.WORKSHOP_PAYABLE)


def _releasable_payment(payment: Payment, *, frozen: bool) -> Payment:
    """The payment row, locked (serialises every release and refund of one order); refuses a
    payment that was never confirmed and an order that is frozen by a dispute. A refunded
    payment still releases what the order holds (a platform top-up after a dispute)."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if frozen:
        raise Conflict(f"Order {locked.reference} is disputed; nothing is released until it ends.")
    if locked.status not in RELEASABLE_PAYMENT_STATUSES:
        raise Conflict(f"Payment {locked.reference} is not confirmed; nothing to release.")
    return locked


RELEASABLE_PAYMENT_STATUSES = (
    Payment.Status.CONFIRMED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
)


def escrow_top_up(
    *, payment: Payment, amount: Money, reason: str, idempotency_key: str
) -> LedgerTransaction | None:
    """The platform covers a shortfall of an order's escrow from its own revenue.

    The policy (docs/billing.md, "Shortfalls"): the customer pays the price it was promised
    and each party is paid the price it accepted; when a re-plan raised the cost past the
    price, or a dispute's refund left less than the accepted work, the platform gives up its
    fee first and then pays the rest itself. Posts platform revenue -> customer funds held
    for the order (``subsidy``), so every release still comes out of the order's escrow and
    the escrow never goes negative. Idempotent on ``idempotency_key``; nothing for zero.
    """
    if amount.minor <= 0:
        return None
    logger.warning("Platform covers %s on %s: %s", amount, payment.reference, reason)
    return ledger_transfer(
        source=account_for(kind=Kind.PLATFORM_REVENUE, currency=amount.currency),
        destination=account_for(
            kind=Kind.CUSTOMER_FUNDS_HELD, currency=amount.currency, owner=payment.payer
        ),
        amount=amount,
        description=f"Platform covers {amount} on {payment.reference}: {reason}"[:300],
        order_id=payment.order_id,
        kind=LedgerTransaction.Kind.SUBSIDY,
        idempotency_key=idempotency_key,
    )


def share_price_release(
    *,
    payment: Payment,
    party_id: str,
    organization: Organization,
    amount: Money,
    kind: str,
    label: str,
    frozen: bool,
) -> LedgerTransaction | None:
    """Release one party's own price once its work was handed over and accepted.

    Posts customer funds held -> the party's payable (key
    ``release-price:<order_id>:<party_id>``) and opens its payout at once (key
    ``price:<order_id>:<party_id>``), in one transaction with the payment row locked, so
    concurrent acceptances of the same work post once. A repeat returns the first posting.
    Refuses (``Conflict``) when the order is frozen (``frozen``: disputed, decided by the
    caller), the payment is not confirmed, the order was already released in full at
    completion, or less than ``amount`` is still held. A zero price releases nothing (None).
    The margin share follows at completion (``funds_release``).
    """
    if amount.minor < 0:
        raise PaymentAmountMismatch("A released price cannot be negative.")
    if amount.minor == 0:
        return None
    key = billing_selectors.price_release_key(order_id=payment.order_id, party_id=party_id)
    with transaction.atomic():
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        locked = _releasable_payment(payment, frozen=frozen)
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:  # another worker released it while we waited for the lock
            return existing
        if amount.currency != locked.currency:
            raise PaymentAmountMismatch("The price and the payment are in different currencies.")
        if billing_selectors.order_released(order_id=locked.order_id):
            raise Conflict(f"Order {locked.reference} was already released in full.")
        held = billing_selectors.available_for_order(locked.order_id)
        if amount.minor > held.minor:
            raise Conflict(
                f"Only {held} is still held for {locked.reference}; {amount} cannot be released."
            )
        account_kind = party_account_kind(kind)
        posted = ledger_transfer(
            source=account_for(
                kind=Kind.CUSTOMER_FUNDS_HELD, currency=amount.currency, owner=locked.payer
            ),
            destination=account_for(
                kind=account_kind, currency=amount.currency, owner=organization
            ),
            amount=amount,
            description=f"Price of {label or party_id} released on {locked.reference}",
            order_id=locked.order_id,
            kind=LedgerTransaction.Kind.RELEASE,
            idempotency_key=key,
        )
        payout_create(
            party=organization,
            amount=amount,
            account_kind=account_kind,
            order_id=locked.order_id,
            reference=f"{locked.reference} {party_id} price",
            source_payment=locked,
            idempotency_key=f"price:{locked.order_id}:{party_id}",
            provider=locked.provider,
        )
    return posted


def funds_release(
    *,
    payment: Payment,
    split: OrderSplit,
    parties: Mapping[str, Organization],
    frozen: bool = False,
) -> LedgerTransaction | None:
    """Release what is left of an order's held funds at completion.

    Each party's price may already have been released on acceptance
    (``share_price_release``); this posts customer funds held -> each share's payable minus
    the price already released (its margin share), the platform revenue and the customer's
    refunds account (key ``release:<order_id>``), records each share in full
    (``ShareRecord``: price + margin share = payable, with the platform fee and the rebate,
    for statements and invoices) and opens one pending payout per share for what this
    posting gives it (key ``share:<order_id>:<party_id>``), all in one transaction with the
    payment row locked. The rebate is left held for the caller to refund (``payment_refund``
    under ``rebate:<order_id>``), and nothing is released beyond what the order still holds
    (``Conflict``). Refuses a frozen (disputed) order. When to release is the caller's
    decision; calling it again returns the first posting and writes nothing new.
    """
    currency = split.customer_price.currency
    missing = [s.party_id for s in split.shares if s.party_id not in parties]
    if missing:
        raise ValueError(f"No organization given for {', '.join(missing)}.")
    with transaction.atomic():
        payment = _releasable_payment(payment, frozen=frozen)
        release_key = billing_selectors.full_release_key(order_id=payment.order_id)
        existing = LedgerTransaction.objects.filter(idempotency_key=release_key).first()
        if existing is not None:  # released before: a repeat writes nothing
            return existing
        if currency != payment.currency:
            raise PaymentAmountMismatch("The split and the payment are in different currencies.")
        released = billing_selectors.released_prices(order_id=payment.order_id)
        rest = {
            share.party_id: share.payable - released.get(share.party_id, Money(0, currency))
            for share in split.shares
        }
        # The rebate stays held: it goes back to the customer as a refund after this commits.
        already = sum_money(released.values(), currency)
        taken = split.customer_price - split.customer_rebate - already
        available = billing_selectors.available_for_order(payment.order_id)
        if taken.minor > available.minor:
            raise Conflict(
                f"Only {available} is still held for {payment.reference}; releasing {taken} "
                "would take the escrow below zero."
            )
        entries = _release_entries(
            payment=payment, split=split, parties=parties, released=released, rest=rest
        )
        posted = None
        if entries:
            posted = ledger_post(
                entries=entries,
                description=f"Release of {payment.reference}",
                order_id=payment.order_id,
                kind=LedgerTransaction.Kind.RELEASE,
                idempotency_key=release_key,
            )
        _share_records_write(payment=payment, split=split, parties=parties)
        _share_payouts_open(payment=payment, split=split, parties=parties, rest=rest)
    return posted


def _release_entries(
    *,
    payment: Payment,
    split: OrderSplit,
    parties: Mapping[str, Organization],
    released: Mapping[str, Money],
    rest: Mapping[str, Money],
) -> list[Posting]:
    """The legs of the completion release: what is still held goes to each share's rest,
    the platform fee and the rebate; a price released to a party no longer in the split
    is taken back."""
    currency = split.customer_price.currency
    payer_held = account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency=currency, owner=payment.payer)
    entries = []
    for share in split.shares:
        if rest[share.party_id].minor:
            account = account_for(
                kind=party_account_kind(share.kind),
                currency=currency,
                owner=parties[share.party_id],
            )
            entries.append(Posting(account=account, amount=rest[share.party_id]))
    entries.extend(_released_outside_split(payment=payment, split=split, released=released))
    if split.platform_fee.minor:
        entries.append(
            Posting(
                account=account_for(kind=Kind.PLATFORM_REVENUE, currency=currency),
                amount=split.platform_fee,
            )
        )
    left = split.customer_price - split.customer_rebate - sum_money(released.values(), currency)
    if left.minor:
        entries.insert(0, Posting(account=payer_held, amount=-left))
    return entries


def _released_outside_split(
    *, payment: Payment, split: OrderSplit, released: Mapping[str, Money]
) -> list[Posting]:
    """Prices released on acceptance to a party that is no longer part of the split (should
    not happen): the ledger takes each back from its party so the order still sums up."""
    shared = {s.party_id for s in split.shares}
    entries = []
    for party_id, amount in released.items():
        if party_id not in shared:
            logger.warning("Price of %s released but not in the split", party_id)
            holder = LedgerEntry.objects.filter(
                transaction__idempotency_key=billing_selectors.price_release_key(
                    order_id=payment.order_id, party_id=party_id
                ),
                amount_minor__gt=0,
            ).select_related("account")[0]
            entries.append(Posting(account=holder.account, amount=-amount))
    return entries


def _share_payouts_open(
    *,
    payment: Payment,
    split: OrderSplit,
    parties: Mapping[str, Organization],
    rest: Mapping[str, Money],
) -> None:
    """One pending payout per share for what the completion release gave it (once per key)."""
    for share in split.shares:
        if rest[share.party_id].minor > 0:
            payout_create(
                party=parties[share.party_id],
                amount=rest[share.party_id],
                account_kind=party_account_kind(share.kind),
                order_id=payment.order_id,
                reference=f"{payment.reference} {share.party_id}",
                source_payment=payment,
                idempotency_key=f"share:{payment.order_id}:{share.party_id}",
                provider=payment.provider,
            )


def _share_records_write(
    *, payment: Payment, split: OrderSplit, parties: Mapping[str, Organization]
) -> None:
    """One record per share plus the platform fee and the rebate; a repeat writes nothing."""
    common = {
        "order_id": payment.order_id,
        "reference": payment.reference,
        "customer": payment.payer,
        "currency": split.customer_price.currency,
        "margin_minor": split.margin.minor,
    }
    records = [
        ShareRecord(
            **common,
            organization=parties[share.party_id],
            party_id=share.party_id,
            kind=share.kind if share.kind in PARTY_ACCOUNT_KINDS else ShareRecord.Kind.WORKSHOP,
            label=(share.label or share.party_id)[:300],
            price_minor=share.price.minor,
            margin_share_minor=share.margin_share.minor,
            forfeited_minor=share.forfeited.minor,
            payable_minor=share.payable.minor,
            explanation=share.explanation,
        )
        for share in split.shares
    ]
    records.append(
        ShareRecord(
            **common,
            organization=None,
            party_id="platform",
            kind=ShareRecord.Kind.PLATFORM,
            label="Platform fee",
            payable_minor=split.platform_fee.minor,
            explanation="The platform's fee for matching, payment handling and support; "
            "the platform takes no part of the margin.",
        )
    )
    records.append(
        ShareRecord(
            **common,
            organization=payment.payer,
            party_id="rebate",
            kind=ShareRecord.Kind.REBATE,
            label="Rebate for lateness and quality",
            margin_share_minor=split.customer_rebate.minor,
            payable_minor=split.customer_rebate.minor,
            explanation="The part of the margin that late or reworked work forfeited, "
            "owed back to the customer.",
        )
    )
    ShareRecord.objects.bulk_create(records, ignore_conflicts=True)
