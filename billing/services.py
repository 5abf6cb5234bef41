"""Writes of billing: payments, refunds, releases, payouts, onboarding and webhook events.

Two rules shape every function here. First, no database lock is held across a network call:
a service records its intent and commits, calls the provider with no lock held, then records
the result in a second short transaction. Second, every step is idempotent on keys derived
from our own ids (ledger keys like ``payment:42``, provider keys like ``cf-payment-42``), so
a retry, a duplicate webhook or a second worker cannot move money twice. The ledger itself
is written only through ``billing.ledger``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require_manager, require_operator
from billing import selectors as billing_selectors
from billing.errors import (
    Conflict,
    PaymentAmountMismatch,
    PaymentNotConfirmable,
    ProviderError,
    RefundNotAllowed,
)
from billing.ledger import Posting, account_for, ledger_post
from billing.models import (
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
    ShareRecord,
    WebhookEvent,
)
from billing.money import Money, sum_money
from billing.providers import default_provider_name, get_provider
from billing.providers.base import (
    OnboardRequest,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    ReversalRequest,
)
from billing.sharing import OrderSplit
from billing.signals import payment_confirmed

logger = logging.getLogger(__name__)

Kind = LedgerAccount.Kind
PARTY_ACCOUNT_KINDS = {"workshop": Kind.WORKSHOP_PAYABLE, "carrier": Kind.CARRIER_PAYABLE}


def transfer_group_for(order_id: int) -> str:
    return f"order_{order_id}"


# -- payments -------------------------------------------------------------------------------
def payment_start(
    *,
    order_id: int,
    reference: str,
    amount: Money,
    payer: Organization | None,
    customer_email: str,
    provider: str | None = None,
    payment_method: str | None = None,
) -> tuple[Payment, PaymentStart]:
    """Open a payment and ask the provider how the customer pays it.

    The row is committed before the provider is called (its id makes the provider's
    idempotency key); what the provider answered is saved afterwards. A card that succeeds
    at once is confirmed here; a declined one leaves the payment failed with the reason.
    """
    if amount.minor <= 0:
        raise PaymentAmountMismatch("A payment must be for more than zero.")
    payment = Payment.objects.create(
        order_id=order_id,
        reference=reference,
        payer=payer,
        customer_email=customer_email,
        provider=provider or default_provider_name(),
        amount_minor=amount.minor,
        currency=amount.currency,
        transfer_group=transfer_group_for(order_id),
    )
    start = get_provider(payment.provider).start_payment(
        PaymentRequest(
            amount=amount,
            order_id=order_id,
            reference=reference,
            customer_email=customer_email,
            transfer_group=payment.transfer_group,
            payment_id=payment.pk,
            payment_method=payment_method,
        )
    )
    Payment.objects.filter(pk=payment.pk).update(
        provider_payment_id=start.provider_payment_id,
        provider_charge_id=start.charge_id,
        instructions=start.instructions,
    )
    payment.refresh_from_db()
    _payment_apply(payment=payment, state=start)
    payment.refresh_from_db()
    return payment, start


def _payment_apply(*, payment: Payment, state: PaymentStart) -> None:
    if state.status == "succeeded":
        payment_confirm(
            payment=payment,
            amount=state.amount_received or payment.amount,
            provider_reference=state.provider_payment_id,
            charge_id=state.charge_id,
        )
    elif state.status == "failed":
        payment_fail(payment=payment, message=state.failure_message or "The payment failed.")


def payment_confirm(
    *, payment: Payment, amount: Money, provider_reference: str, charge_id: str = ""
) -> Payment:
    """Record that the money arrived: one ledger posting and one signal, however often called.

    Locks the payment row, returns at once if it is already confirmed, checks the amount,
    posts provider clearing -> customer funds held under the key ``payment:<id>`` and sends
    ``payment_confirmed`` after commit. Safe under concurrent callers (webhook, operator,
    retry): the row lock serialises them and the ledger key backs it up.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status in (
            Payment.Status.CONFIRMED,
            Payment.Status.REFUNDED,
            Payment.Status.PARTIALLY_REFUNDED,
        ):
            return locked
        if amount != locked.amount:
            raise PaymentAmountMismatch(
                f"Payment {locked.reference} expects {locked.amount}, but {amount} was confirmed."
                " Record the full amount, or refund and start a new payment."
            )
        ledger_post(
            entries=[
                Posting(
                    account=account_for(kind=Kind.PROVIDER_CLEARING, currency=amount.currency),
                    amount=-amount,
                ),
                Posting(
                    account=account_for(
                        kind=Kind.CUSTOMER_FUNDS_HELD, currency=amount.currency, owner=locked.payer
                    ),
                    amount=amount,
                ),
            ],
            description=f"Payment {locked.reference} received ({locked.provider})",
            order_id=locked.order_id,
            kind=LedgerTransaction.Kind.PAYMENT,
            idempotency_key=f"payment:{locked.pk}",
        )
        locked.status = Payment.Status.CONFIRMED
        locked.confirmed_amount_minor = amount.minor
        locked.confirmed_at = timezone.now()
        locked.failure_message = ""
        locked.provider_payment_id = provider_reference or locked.provider_payment_id
        locked.provider_charge_id = charge_id or locked.provider_charge_id
        locked.save()
        transaction.on_commit(
            lambda: payment_confirmed.send(
                sender=Payment, payment=locked, order_id=locked.order_id, amount=amount
            )
        )
    return locked


def payment_confirm_manual(*, operator: User, payment: Payment, amount: Money) -> Payment:
    """An operator saw the bank transfer arrive; confirming twice changes nothing."""
    require_operator(user=operator)
    if payment.provider != "manual":
        raise PaymentNotConfirmable(
            f"Payment {payment.reference} goes through {payment.provider}; it confirms itself."
        )
    return payment_confirm(
        payment=payment, amount=amount, provider_reference=payment.provider_payment_id
    )


def payment_fail(*, payment: Payment, message: str) -> Payment:
    """Mark a pending payment failed with the reason; a confirmed one is left alone."""
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
        status=Payment.Status.FAILED, failure_message=message[:2000]
    )
    payment.refresh_from_db()
    return payment


def payment_sync(*, payment: Payment) -> Payment:
    """Ask the provider how the payment stands now and record it (webhooks land here)."""
    provider = get_provider(payment.provider)
    if not hasattr(provider, "retrieve_payment") or not payment.provider_payment_id:
        return payment
    state = provider.retrieve_payment(payment.provider_payment_id)
    _payment_apply(payment=payment, state=state)
    payment.refresh_from_db()
    return payment


# -- refunds --------------------------------------------------------------------------------
def payment_refund(
    *, payment: Payment, amount: Money, reason: str = "", idempotency_key: str | None = None
) -> Refund:
    """Give money back to the customer from the funds held for the order.

    Reserves the amount first (payment row locked, refund row written), calls the provider
    with no lock held, then posts customer funds held -> provider clearing under
    ``refund:<id>``. A repeated key returns the first refund.
    """
    if idempotency_key:
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Payment.Status.CONFIRMED, Payment.Status.PARTIALLY_REFUNDED):
            raise RefundNotAllowed(f"Payment {locked.reference} has no money to refund.")
        if amount.currency != locked.currency or amount.minor <= 0:
            raise RefundNotAllowed(
                f"Refunds of {locked.reference} must be positive {locked.currency}."
            )
        reserved = sum(
            locked.refunds.filter(status=Refund.Status.PENDING).values_list(
                "amount_minor", flat=True
            )
        )
        if amount.minor > locked.refundable.minor - reserved:
            left = Money(locked.refundable.minor - reserved, locked.currency)
            raise RefundNotAllowed(f"Only {left} of {locked.reference} can still be refunded.")
        refund = Refund.objects.create(
            payment=locked,
            amount_minor=amount.minor,
            currency=amount.currency,
            reason=reason,
            idempotency_key=idempotency_key or f"refund-{locked.pk}-{locked.refunds.count() + 1}",
        )
    result = get_provider(locked.provider).refund(
        RefundRequest(
            provider_payment_id=locked.provider_payment_id,
            charge_id=locked.provider_charge_id,
            amount=amount,
            idempotency_key=f"cf-{refund.idempotency_key}",
            reason=reason,
        )
    )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING:
            return refund
        refund.provider_refund_id = result.provider_refund_id
        if result.status == "failed":
            refund.status = Refund.Status.FAILED
            refund.error = result.error
            refund.save()
            return refund
        refund.status = Refund.Status.SUCCEEDED
        refund.completed_at = timezone.now()
        refund.save()
        payment = Payment.objects.select_for_update().get(pk=locked.pk)
        ledger_post(
            entries=[
                Posting(
                    account=account_for(
                        kind=Kind.CUSTOMER_FUNDS_HELD, currency=amount.currency, owner=payment.payer
                    ),
                    amount=-amount,
                ),
                Posting(
                    account=account_for(kind=Kind.PROVIDER_CLEARING, currency=amount.currency),
                    amount=amount,
                ),
            ],
            description=f"Refund of {amount} on {payment.reference}",
            order_id=payment.order_id,
            kind=LedgerTransaction.Kind.REFUND,
            idempotency_key=f"refund:{refund.pk}",
        )
        payment.refunded_minor = F("refunded_minor") + amount.minor
        payment.save(update_fields=["refunded_minor"])
        payment.refresh_from_db()
        payment.status = (
            Payment.Status.REFUNDED
            if payment.refunded_minor >= payment.confirmed_amount_minor
            else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["status"])
    return refund


# -- release and payouts --------------------------------------------------------------------
def _releasable_payment(payment: Payment, *, frozen: bool) -> Payment:
    """The payment row, locked (serialises every release of one order); refuses a payment
    that is not confirmed and an order that is frozen by a dispute."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if frozen:
        raise Conflict(f"Order {locked.reference} is disputed; nothing is released until it ends.")
    if locked.status not in (Payment.Status.CONFIRMED, Payment.Status.PARTIALLY_REFUNDED):
        raise Conflict(f"Payment {locked.reference} is not confirmed; nothing to release.")
    return locked


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
        if LedgerTransaction.objects.filter(idempotency_key=_release_key(locked)).exists():
            raise Conflict(f"Order {locked.reference} was already released in full.")
        held = billing_selectors.held_for_order(locked.order_id)
        if amount.minor > held.minor:
            raise Conflict(
                f"Only {held} is still held for {locked.reference}; {amount} cannot be released."
            )
        account_kind = PARTY_ACCOUNT_KINDS.get(kind, Kind.WORKSHOP_PAYABLE)
        posted = ledger_post(
            entries=[
                Posting(
                    account=account_for(
                        kind=Kind.CUSTOMER_FUNDS_HELD, currency=amount.currency, owner=locked.payer
                    ),
                    amount=-amount,
                ),
                Posting(
                    account=account_for(
                        kind=account_kind, currency=amount.currency, owner=organization
                    ),
                    amount=amount,
                ),
            ],
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


def _release_key(payment: Payment) -> str:
    return f"release:{payment.order_id}"


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
    payment row locked. Refuses a frozen (disputed) order. When to release is the caller's
    decision; calling it again returns the first posting and writes nothing new.
    """
    currency = split.customer_price.currency
    missing = [s.party_id for s in split.shares if s.party_id not in parties]
    if missing:
        raise ValueError(f"No organization given for {', '.join(missing)}.")
    with transaction.atomic():
        payment = _releasable_payment(payment, frozen=frozen)
        if currency != payment.currency:
            raise PaymentAmountMismatch("The split and the payment are in different currencies.")
        released = billing_selectors.released_prices(order_id=payment.order_id)
        payer_held = account_for(
            kind=Kind.CUSTOMER_FUNDS_HELD, currency=currency, owner=payment.payer
        )
        rest: dict[str, Money] = {}
        entries = []
        for share in split.shares:
            already = released.get(share.party_id, Money(0, currency))
            rest[share.party_id] = share.payable - already
            if rest[share.party_id].minor:
                kind = PARTY_ACCOUNT_KINDS.get(share.kind, Kind.WORKSHOP_PAYABLE)
                account = account_for(kind=kind, currency=currency, owner=parties[share.party_id])
                entries.append(Posting(account=account, amount=rest[share.party_id]))
        shared = {s.party_id for s in split.shares}
        for party_id, amount in released.items():
            if party_id not in shared:
                # Released on acceptance but no longer part of the split (should not happen):
                # the ledger takes it back from the party so the order still sums up.
                logger.warning("Price of %s released but not in the split", party_id)
                holder = LedgerEntry.objects.filter(
                    transaction__idempotency_key=billing_selectors.price_release_key(
                        order_id=payment.order_id, party_id=party_id
                    ),
                    amount_minor__gt=0,
                ).select_related("account")[0]
                entries.append(Posting(account=holder.account, amount=-amount))
        if split.platform_fee.minor:
            entries.append(
                Posting(
                    account=account_for(kind=Kind.PLATFORM_REVENUE, currency=currency),
                    amount=split.platform_fee,
                )
            )
        if split.customer_rebate.minor:
            entries.append(
                Posting(
                    account=account_for(kind=Kind.REFUNDS, currency=currency, owner=payment.payer),
                    amount=split.customer_rebate,
                )
            )
        left = split.customer_price - sum_money(released.values(), currency)
        if left.minor:
            entries.insert(0, Posting(account=payer_held, amount=-left))
        posted = None
        if entries:
            posted = ledger_post(
                entries=entries,
                description=f"Release of {payment.reference}",
                order_id=payment.order_id,
                kind=LedgerTransaction.Kind.RELEASE,
                idempotency_key=_release_key(payment),
            )
        _share_records_write(payment=payment, split=split, parties=parties)
        for share in split.shares:
            if rest[share.party_id].minor > 0:
                payout_create(
                    party=parties[share.party_id],
                    amount=rest[share.party_id],
                    account_kind=PARTY_ACCOUNT_KINDS.get(share.kind, Kind.WORKSHOP_PAYABLE),
                    order_id=payment.order_id,
                    reference=f"{payment.reference} {share.party_id}",
                    source_payment=payment,
                    idempotency_key=f"share:{payment.order_id}:{share.party_id}",
                    provider=payment.provider,
                )
    return posted


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


def payout_create(
    *,
    party: Organization,
    amount: Money,
    idempotency_key: str,
    account_kind: str = Kind.WORKSHOP_PAYABLE,
    order_id: int | None = None,
    reference: str = "",
    source_payment: Payment | None = None,
    provider: str | None = None,
) -> Payout:
    """Open a payout once per key; a second call with the same key returns the first."""
    if amount.minor <= 0:
        raise PaymentAmountMismatch("A payout must be for more than zero.")
    existing = Payout.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Payout.objects.create(
                party=party,
                amount_minor=amount.minor,
                currency=amount.currency,
                idempotency_key=idempotency_key,
                account_kind=account_kind,
                order_id=order_id,
                reference=reference,
                source_payment=source_payment,
                provider=provider or default_provider_name(),
            )
    except IntegrityError:
        return Payout.objects.get(idempotency_key=idempotency_key)


def _payout_destination(payout: Payout, provider: PaymentProvider) -> str:
    """Where the money goes: the party's onboarded account, or its name in a bank file."""
    if not provider.supports_onboarding:
        return payout.party.name
    account = ConnectedAccount.objects.filter(organization=payout.party).first()
    if account is None or not account.payouts_enabled:
        return ""
    return account.provider_account_id


def payout_execute(*, payout: Payout) -> Payout:
    """Send one payout; a paid, submitted or in-flight payout is returned untouched.

    Claimed by a compare-and-swap (pending/failed -> processing), so two workers never send
    the same payout; the provider is called with no lock held, with the payout's provider
    key, and the result recorded afterwards. A failure is kept on the row (``error``,
    ``attempts``) and can be retried by calling this again.
    """
    claimed = Payout.objects.filter(pk=payout.pk, status__in=Payout.RETRYABLE).update(
        status=Payout.Status.PROCESSING, attempts=F("attempts") + 1, error=""
    )
    payout.refresh_from_db()
    if not claimed:
        return payout
    provider = get_provider(payout.provider)
    destination = _payout_destination(payout, provider)
    if not destination:
        result = PayoutResult(
            status="failed",
            error=f"{payout.party} has not finished payout onboarding with {payout.provider}.",
        )
    else:
        source = payout.source_payment
        try:
            result = provider.payout(
                PayoutRequest(
                    destination=destination,
                    amount=payout.amount,
                    idempotency_key=f"cf-{payout.provider_key}",
                    source_transaction=source.provider_charge_id if source else "",
                    transfer_group=source.transfer_group if source else "",
                    reference=payout.idempotency_key,
                    party_name=payout.party.name,
                    attempt=payout.attempts,
                )
            )
        except ProviderError as error:
            result = PayoutResult(status="failed", error=error.message)
    return payout_record(payout=payout, result=result)


def payout_record(*, payout: Payout, result: PayoutResult) -> Payout:
    """Store what the provider said; posts the ledger once when the money has left."""
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status in (Payout.Status.PAID, Payout.Status.REVERSED):
            return locked
        if result.provider_transfer_id:
            locked.provider_transfer_id = result.provider_transfer_id
        if result.status == "failed":
            locked.status = Payout.Status.FAILED
            locked.error = result.error
            if result.new_key_needed:
                locked.key_generation += 1
        elif result.status == "submitted":
            locked.status = Payout.Status.SUBMITTED
        else:
            _payout_post(locked)
        locked.save()
    return locked


def _payout_post(payout: Payout) -> None:
    payout.status = Payout.Status.PAID
    payout.paid_at = timezone.now()
    payout.error = ""
    ledger_post(
        entries=[
            Posting(
                account=account_for(
                    kind=payout.account_kind, currency=payout.currency, owner=payout.party
                ),
                amount=-payout.amount,
            ),
            Posting(
                account=account_for(kind=Kind.PROVIDER_CLEARING, currency=payout.currency),
                amount=payout.amount,
            ),
        ],
        description=f"Payout {payout.idempotency_key} to {payout.party}",
        order_id=payout.order_id,
        kind=LedgerTransaction.Kind.PAYOUT,
        idempotency_key=f"payout:{payout.pk}",
    )


def payout_confirm_manual(*, operator: User, payout: Payout) -> Payout:
    """The bank executed a payout from the exported file: post it; twice is a no-op."""
    require_operator(user=operator)
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == Payout.Status.PAID:
            return locked
        if locked.status != Payout.Status.SUBMITTED:
            raise Conflict(f"Payout {locked.idempotency_key} is not in a bank file yet.")
        _payout_post(locked)
        locked.save()
    return locked


def payout_reverse(*, payout: Payout, amount: Money | None = None) -> Payout:
    """Take (part of) a paid payout back from the party; the payable is owed again."""
    if payout.status not in (Payout.Status.PAID, Payout.Status.REVERSED):
        raise Conflict(f"Payout {payout.idempotency_key} has not been paid.")
    amount = amount or Money(payout.amount_minor - payout.reversed_minor, payout.currency)
    result = get_provider(payout.provider).reverse_payout(
        ReversalRequest(
            provider_transfer_id=payout.provider_transfer_id,
            amount=amount,
            idempotency_key=f"cf-reversal-{payout.pk}-{payout.reversed_minor + amount.minor}",
        )
    )
    if result.status == "failed":
        raise ProviderError(f"The payout could not be reversed: {result.error}")
    total = result.amount_reversed_total or Money(
        payout.reversed_minor + amount.minor, payout.currency
    )
    return payout_sync_reversed(payout=payout, amount_reversed_total=total)


def payout_sync_reversed(*, payout: Payout, amount_reversed_total: Money) -> Payout:
    """Post whatever the provider reversed beyond what the ledger knows (idempotent)."""
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        new = amount_reversed_total.minor - locked.reversed_minor
        if new <= 0:
            return locked
        delta = Money(new, locked.currency)
        ledger_post(
            entries=[
                Posting(
                    account=account_for(kind=Kind.PROVIDER_CLEARING, currency=locked.currency),
                    amount=-delta,
                ),
                Posting(
                    account=account_for(
                        kind=locked.account_kind, currency=locked.currency, owner=locked.party
                    ),
                    amount=delta,
                ),
            ],
            description=f"Reversal of {delta} of payout {locked.idempotency_key}",
            order_id=locked.order_id,
            kind=LedgerTransaction.Kind.PAYOUT_REVERSAL,
            idempotency_key=f"payout-reversal:{locked.pk}:{amount_reversed_total.minor}",
        )
        locked.reversed_minor = amount_reversed_total.minor
        if locked.reversed_minor >= locked.amount_minor:
            locked.status = Payout.Status.REVERSED
        locked.save()
    return locked


# -- Connect onboarding ---------------------------------------------------------------------
def connected_account_onboard(
    *,
    user: User,
    organization: Organization,
    refresh_url: str,
    return_url: str,
    country: str = "DE",
    provider: str = "stripe",
) -> str:
    """The provider's onboarding URL for the organization, opening its account on first use."""
    require_manager(user=user, organization=organization)
    existing = ConnectedAccount.objects.filter(organization=organization).first()
    result = get_provider(provider).onboard(
        OnboardRequest(
            organization_id=organization.pk,
            email=user.email,
            country=country,
            refresh_url=refresh_url,
            return_url=return_url,
            existing_account_id=existing.provider_account_id if existing else "",
        )
    )
    if existing is None:
        ConnectedAccount.objects.get_or_create(
            organization=organization,
            defaults={"provider": provider, "provider_account_id": result.account_id},
        )
    return result.url


def connected_account_sync(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from the provider (after ``account.updated``) and store its state."""
    state = get_provider(account.provider).retrieve_account(account.provider_account_id)
    if state.payouts_enabled:
        status = ConnectedAccount.Status.ACTIVE
    elif state.details_submitted:
        status = ConnectedAccount.Status.RESTRICTED
    else:
        status = ConnectedAccount.Status.PENDING
    account.payouts_enabled = state.payouts_enabled
    account.details_submitted = state.details_submitted
    account.requirements_due = state.requirements_due
    account.status = status
    account.save()
    return account


# -- webhooks -------------------------------------------------------------------------------
def webhook_event_record(*, provider: str, event: Mapping[str, Any]) -> tuple[WebhookEvent, bool]:
    """Store a verified event under its id; a duplicate returns the stored one, not created.

    The processing task is enqueued after commit, only for a new event.
    """
    from billing.tasks import webhook_process_task

    data_object = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                provider=provider,
                event_id=event["id"],
                type=event.get("type", ""),
                account=event.get("account") or "",
                object_id=data_object.get("id", "") if isinstance(data_object, dict) else "",
                payload=dict(event),
            )
            transaction.on_commit(lambda: webhook_process_task.delay(stored.pk))
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=event["id"]), False
    return stored, True


def webhook_event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Act on a stored event once, re-fetching its object from the provider first.

    Every action is idempotent (payment_confirm, payout_record, ...), so a second worker
    racing on the same event changes nothing; a processed event is skipped.
    """
    if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
        return event
    handler = _WEBHOOK_HANDLERS.get(event.type.split(".")[0])
    acted = handler(event) if handler else False
    WebhookEvent.objects.filter(pk=event.pk).exclude(status=WebhookEvent.Status.PROCESSED).update(
        status=WebhookEvent.Status.PROCESSED if acted else WebhookEvent.Status.IGNORED,
        processed_at=timezone.now(),
        error="",
    )
    event.refresh_from_db()
    return event


def _on_payment_intent(event: WebhookEvent) -> bool:
    payment = Payment.objects.filter(provider="stripe", provider_payment_id=event.object_id).first()
    if payment is None:
        return False
    payment_sync(payment=payment)
    return True


def _on_account(event: WebhookEvent) -> bool:
    account_id = event.object_id or event.account
    account = ConnectedAccount.objects.filter(provider_account_id=account_id).first()
    if account is None:
        return False
    connected_account_sync(account=account)
    return True


def _on_transfer(event: WebhookEvent) -> bool:
    provider = get_provider("stripe")
    state = provider.retrieve_transfer(event.object_id)
    payout = (
        Payout.objects.filter(provider_transfer_id=state.transfer_id).first()
        or Payout.objects.filter(idempotency_key=state.reference).first()
    )
    if payout is None:
        return False
    if payout.status != Payout.Status.PAID and payout.status != Payout.Status.REVERSED:
        # The transfer exists even if our worker never heard back: record it as paid.
        payout_record(
            payout=payout,
            result=PayoutResult(status="paid", provider_transfer_id=state.transfer_id),
        )
    if state.amount_reversed.minor:
        payout_sync_reversed(payout=payout, amount_reversed_total=state.amount_reversed)
    return True


_WEBHOOK_HANDLERS = {
    "payment_intent": _on_payment_intent,
    "account": _on_account,
    "transfer": _on_transfer,
}
