"""Payments and refunds: open a payment, confirm or fail it, give money back.

No database lock is held across a provider call: a service records its intent and commits,
calls the provider with no lock held, then records the result in a second short transaction.
Every ledger posting is keyed by our own ids (``payment:<id>``, ``refund:<id>``), so a retry,
a duplicate webhook or a second worker cannot move money twice.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import record
from accounts.models import Organization, User
from accounts.permissions import require_operator
from billing import selectors as billing_selectors
from billing.errors import (
    AlreadyReversed,
    PaymentAmountMismatch,
    PaymentNotConfirmable,
    ProviderError,
    RefundNotAllowed,
)
from billing.invoicing import Sale
from billing.ledger import account_for, ledger_reverse, ledger_transfer
from billing.models import LedgerAccount, LedgerTransaction, Payment, PaymentDispute, Refund
from billing.money import Money
from billing.payment_vat import net_refundable, post_with_vat, vat_back_for, vat_within_refund
from billing.providers import default_provider_name, get_provider
from billing.providers.base import (
    CancelResult,
    PaymentRequest,
    PaymentStart,
    RefundRequest,
    RefundResult,
)
from billing.signals import PaymentRefused, payment_confirmed
from config.ids import parse_id

Kind = LedgerAccount.Kind
logger = logging.getLogger(__name__)


def transfer_group_for(order_id: int) -> str:
    return f"order_{order_id}"


def payment_start(
    *,
    order_id: int,
    reference: str,
    amount: Money,
    payer: Organization | None,
    customer_email: str,
    provider: str | None = None,
    payment_method: str | None = None,
    sale: Sale | None = None,
) -> tuple[Payment, PaymentStart]:
    """Open a payment and ask the provider how the customer pays it.

    With a ``sale`` (``billing.invoicing.order_sale``) the amount must be its gross: the
    payment keeps the sale's VAT and lines, and the invoice is later issued from them.
    The row is committed before the provider is called (its id makes the provider's
    idempotency key); what the provider answered is saved afterwards. A card that succeeds
    at once is confirmed here; a declined one leaves the payment failed with the reason.
    """
    if amount.minor <= 0:
        raise PaymentAmountMismatch("A payment must be for more than zero.")
    if sale is not None and sale.gross != amount:
        raise PaymentAmountMismatch(
            f"Payment {reference} is for {amount}, but the sale with its VAT is {sale.gross}."
        )
    payment = Payment.objects.create(
        order_id=order_id,
        reference=reference,
        payer=payer,
        customer_email=customer_email,
        provider=provider or default_provider_name(),
        amount_minor=amount.minor,
        vat_minor=sale.vat.minor if sale is not None else 0,
        sale_lines=sale.lines_json() if sale is not None else [],
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
    posts provider clearing -> customer funds held (the net) and VAT payable (its VAT) under
    the key ``payment:<id>`` and sends ``payment_confirmed`` after commit. Safe under
    concurrent callers (webhook, operator, retry): the row lock serialises them and the
    ledger key backs it up.
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
        post_with_vat(
            clearing=amount,
            held=locked.net,
            vat=locked.vat,
            payer=locked.payer,
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
        if locked.unwanted_reason:
            # Cancelled before the money came: nobody wants it, it goes back in full.
            transaction.on_commit(lambda: _payment_refund_unwanted_later(locked.pk))
        else:
            transaction.on_commit(lambda: _payment_confirmed_send(payment=locked, amount=amount))
    return locked


def _payment_confirmed_send(*, payment: Payment, amount: Money) -> None:
    """Tell the order; a receiver answering ``PaymentRefused`` has the payment refunded."""
    answers = payment_confirmed.send(
        sender=Payment, payment=payment, order_id=payment.order_id, amount=amount
    )
    refusals = [answer for _, answer in answers if isinstance(answer, PaymentRefused)]
    if refusals:
        Payment.objects.filter(pk=payment.pk, unwanted_reason="").update(
            unwanted_reason=refusals[0].reason[:300] or "The order refused the payment."
        )
        _payment_refund_unwanted_later(payment.pk)


def _payment_refund_unwanted_later(payment_id: int) -> None:
    from billing.tasks import payment_refund_unwanted_task

    payment_refund_unwanted_task.delay(payment_id)


def payment_refund_unwanted(*, payment: Payment) -> Refund | None:
    """Refund in full a confirmed payment that its order no longer takes (``unwanted_reason``
    set). Idempotent: one refund, key ``unwanted:<payment id>``, resumed if its answer was
    lost; None when there is nothing to refund."""
    payment.refresh_from_db()
    if not payment.unwanted_reason:
        return None
    key = f"unwanted:{payment.pk}"
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return refund_retry(refund=existing)
    if payment.refundable.minor <= 0 or payment.status not in (
        Payment.Status.CONFIRMED,
        Payment.Status.PARTIALLY_REFUNDED,
    ):
        return None
    return payment_refund(
        payment=payment,
        amount=net_refundable(payment),
        reason=payment.unwanted_reason[:200],
        idempotency_key=key,
    )


def payment_cancel(*, payment: Payment, reason: str) -> Payment:
    """The order no longer wants this payment (it expired, or was cancelled before payment).

    Marks the payment unwanted, then, with no lock held, cancels it at the provider (Stripe:
    the PaymentIntent is cancelled; manual: nothing to tell). If the provider says the money
    was already captured (a late payment), the payment is confirmed in the books without
    telling the order, and refunded in full at once. A payment already confirmed here is
    refunded in full too. Calling it again changes nothing.
    """
    reason = (reason or "The order was cancelled.")[:300]
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.unwanted_reason:
            locked.unwanted_reason = reason
            locked.save(update_fields=["unwanted_reason"])
        status = locked.status
    if status == Payment.Status.CANCELED:
        return locked
    if status != Payment.Status.PENDING and status != Payment.Status.FAILED:
        payment_refund_unwanted(payment=locked)
        locked.refresh_from_db()
        return locked
    if locked.provider_payment_id:
        result = get_provider(locked.provider).cancel_payment(locked.provider_payment_id)
    else:  # the provider never heard of it (its start failed): nothing to cancel there
        result = CancelResult(status="canceled")
    if result.status == "failed":
        raise ProviderError(
            f"Payment {locked.reference} could not be cancelled: {result.error}", retryable=True
        )
    if result.status == "succeeded" and result.payment is not None:
        payment_confirm(
            payment=locked,
            amount=result.payment.amount_received or locked.amount,
            provider_reference=result.payment.provider_payment_id,
            charge_id=result.payment.charge_id,
        )
        # Refund now rather than after commit: the caller expects the money on its way back.
        payment_refund_unwanted(payment=locked)
    else:
        Payment.objects.filter(
            pk=locked.pk, status__in=(Payment.Status.PENDING, Payment.Status.FAILED)
        ).update(status=Payment.Status.CANCELED, failure_message=reason)
    locked.refresh_from_db()
    return locked


def payment_confirm_manual(*, operator: User, payment: Payment, amount: Money) -> Payment:
    """An operator saw the bank transfer arrive; confirming twice changes nothing."""
    require_operator(user=operator)
    if payment.provider != "manual":
        raise PaymentNotConfirmable(
            f"Payment {payment.reference} goes through {payment.provider}; it confirms itself."
        )
    confirmed = payment_confirm(
        payment=payment, amount=amount, provider_reference=payment.provider_payment_id
    )
    record(
        actor=operator,
        action="payment.confirm_manual",
        target=payment,
        details={"amount_minor": amount.minor, "currency": amount.currency},
    )
    return confirmed


def payment_fail(*, payment: Payment, message: str) -> Payment:
    """Mark a pending payment failed with the reason; a confirmed or cancelled one is left alone."""
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


def payment_refund(
    *, payment: Payment, amount: Money, reason: str = "", idempotency_key: str | None = None
) -> Refund:
    """Give money back to the customer from the funds held for the order.

    ``amount`` is what leaves the order's escrow; the customer gets it back with its share
    of the payment's VAT (``billing.vat.vat_given_back``: in proportion, all of it when the
    whole net goes back), so ``Refund.amount`` is that sum and ``Refund.vat`` the VAT part.
    Reserves the amount first (payment row locked, refund row written), calls the provider
    with no lock held (key ``cf-refund-<refund id>``), then posts customer funds held and VAT
    payable -> provider clearing under ``refund:<id>``. A repeated key returns the first refund, and
    resumes it if its outcome is still unknown (``refund_retry``): a lost answer never
    leads to a second refund.
    """
    if idempotency_key:
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return refund_retry(refund=existing)
    refund = _refund_reserve(
        payment=payment, amount=amount, reason=reason, idempotency_key=idempotency_key
    )
    return _refund_send(refund=refund)


def refund_retry(*, refund: Refund) -> Refund:
    """Send a refund whose outcome is unknown (no answer, a provider error) again.

    The provider first looks for a refund it already made for this record and adopts it;
    only if there is none does it refund, under the same key (or the next generation when
    the provider stored a failure under it). A finished refund is returned as it is.
    """
    if refund.status != Refund.Status.PENDING:
        return refund
    return _refund_send(refund=refund)


def refunds_retry(*, now: datetime | None = None) -> list[Refund]:
    """Resume refunds whose outcome is still unknown (a lost answer nobody retried), older
    than ``REFUND_RETRY_AFTER_MINUTES`` and tried fewer than ``REFUND_MAX_ATTEMPTS`` times.

    Each looks itself up at the provider first, so this never refunds twice (the sweeper
    ``refunds_retry_task`` runs it from beat)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=getattr(settings, "REFUND_RETRY_AFTER_MINUTES", 15))
    due = Refund.objects.filter(
        status=Refund.Status.PENDING,
        attempts__gte=1,
        attempts__lt=getattr(settings, "REFUND_MAX_ATTEMPTS", 5),
        created_at__lt=cutoff,
    ).order_by("created_at", "id")
    done = []
    for refund in due[:100]:
        try:
            done.append(refund_retry(refund=refund))
        except ProviderError:
            logger.warning("Refund %s could not be retried yet.", refund.pk, exc_info=True)
    return done


def _refund_send(*, refund: Refund) -> Refund:
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    payment = refund.payment
    result = get_provider(payment.provider).refund(
        RefundRequest(
            provider_payment_id=payment.provider_payment_id,
            charge_id=payment.provider_charge_id,
            amount=refund.amount,
            idempotency_key=refund.provider_key,
            reason=refund.reason,
            refund_id=refund.pk,
            attempt=refund.attempts,
        )
    )
    return _refund_record(refund=refund, amount=refund.amount, result=result)


def _refund_reserve(
    *, payment: Payment, amount: Money, reason: str, idempotency_key: str | None
) -> Refund:
    """The pending refund row, written with the payment locked so two refunds cannot both
    take the last of what is refundable."""
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
        vat = vat_back_for(payment=locked, net=amount.minor)
        if amount.minor + vat > locked.refundable.minor - reserved:
            left = Money(locked.refundable.minor - reserved, locked.currency)
            raise RefundNotAllowed(f"Only {left} of {locked.reference} can still be refunded.")
        # The order's escrow, not only the card: what was released to the parties who did
        # the work is theirs (the payment row lock serialises releases and refunds).
        available = billing_selectors.available_for_order(locked.order_id)
        if amount.minor > available.minor:
            raise RefundNotAllowed(
                f"Only {Money(max(available.minor, 0), locked.currency)} is still held for "
                f"{locked.reference}; the rest was released to the parties who did the work."
            )
        return Refund.objects.create(
            payment=locked,
            amount_minor=amount.minor + vat,
            vat_minor=vat,
            currency=amount.currency,
            reason=reason,
            idempotency_key=idempotency_key or f"refund-{locked.pk}-{locked.refunds.count() + 1}",
        )


def _refund_record(*, refund: Refund, amount: Money, result: RefundResult) -> Refund:
    """Store what the provider answered; a succeeded refund posts the ledger once."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING:
            return refund
        if result.status == "unknown":
            # The provider may have refunded: keep the amount reserved, retry later.
            refund.error = result.error
            if result.new_key_needed:
                refund.key_generation += 1
            refund.save()
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
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        post_with_vat(
            clearing=-refund.amount,
            held=-refund.net,
            vat=-refund.vat,
            payer=payment.payer,
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


_REFUNDABLE = (Payment.Status.CONFIRMED, Payment.Status.PARTIALLY_REFUNDED)


def refund_record_external(
    *, payment: Payment, provider_refund_id: str, amount: Money, our_refund_id: str = ""
) -> Refund | None:
    """A refund the provider made that our books may not know: one made in the Stripe
    dashboard, or ours whose answer never arrived (``our_refund_id`` from its metadata).

    Recorded once however often it is reported (``charge.refunded`` lists every refund of
    the charge each time): matched on the provider's refund id, then on our refund id; else
    a new succeeded Refund keyed ``provider-refund:<id>`` posts the ledger like any refund.
    None if the payment has nothing confirmed to refund against.
    """
    known = Refund.objects.filter(provider_refund_id=provider_refund_id).first()
    if known is not None:
        return known
    succeeded = RefundResult(status="succeeded", provider_refund_id=provider_refund_id)
    if (our_id := parse_id(our_refund_id)) is not None:
        ours = Refund.objects.filter(pk=our_id, payment=payment).first()
        if ours is not None:
            return _refund_record(refund=ours, amount=ours.amount, result=succeeded)
    key = f"provider-refund:{provider_refund_id}"
    try:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status not in _REFUNDABLE:
                return None
            refund = Refund.objects.create(
                payment=locked,
                amount_minor=amount.minor,
                vat_minor=vat_within_refund(payment=locked, gross=amount.minor),
                currency=amount.currency,
                reason="Refunded at the payment provider",
                idempotency_key=key,
            )
    except IntegrityError:
        return Refund.objects.get(idempotency_key=key)
    return _refund_record(refund=refund, amount=amount, result=succeeded)


def payment_fee_record(*, payment: Payment, fee: Money) -> LedgerTransaction | None:
    """The provider's fee on the payment, a platform expense: provider fees -> provider
    clearing (the fee left the money at the provider), once, key ``fee:<payment id>``."""
    if fee.minor <= 0:
        return None
    return ledger_transfer(
        source=account_for(kind=Kind.PROVIDER_FEES, currency=fee.currency),
        destination=account_for(kind=Kind.PROVIDER_CLEARING, currency=fee.currency),
        amount=fee,
        description=f"{payment.provider.title()} fee on {payment.reference}",
        order_id=payment.order_id,
        kind=LedgerTransaction.Kind.FEE,
        idempotency_key=f"fee:{payment.pk}",
    )


_DISPUTE_WON = ("won", "warning_closed")
_DISPUTE_LOST = ("lost",)


def payment_dispute_sync(
    *, payment: Payment, dispute_id: str, amount: Money, provider_status: str, reason: str = ""
) -> PaymentDispute:
    """Record a dispute on the payment as the provider reports it now; idempotent.

    Opening posts the disputed amount out of provider clearing into ``disputes`` (the card
    network took it back: disputes -amount, clearing +amount, key ``dispute:<id>``); a won
    dispute reverses that posting once; a lost one leaves it for an operator to settle.
    Billing tells no one: the marketplace may read ``payment.disputes``.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        dispute, _ = PaymentDispute.objects.get_or_create(
            provider_dispute_id=dispute_id,
            defaults={
                "payment": locked,
                "amount_minor": amount.minor,
                "currency": amount.currency,
                "reason": reason[:100],
            },
        )
        dispute = PaymentDispute.objects.select_for_update().get(pk=dispute.pk)
        posted = ledger_transfer(
            source=account_for(kind=Kind.DISPUTES, currency=dispute.currency),
            destination=account_for(kind=Kind.PROVIDER_CLEARING, currency=dispute.currency),
            amount=dispute.amount,
            description=f"Dispute {dispute_id} on {locked.reference}",
            order_id=locked.order_id,
            kind=LedgerTransaction.Kind.DISPUTE,
            idempotency_key=f"dispute:{dispute_id}",
        )
        if provider_status in _DISPUTE_WON:
            status = PaymentDispute.Status.WON
        elif provider_status in _DISPUTE_LOST:
            status = PaymentDispute.Status.LOST
        else:
            status = PaymentDispute.Status.OPEN
        if status == PaymentDispute.Status.WON and dispute.status != PaymentDispute.Status.WON:
            with contextlib.suppress(AlreadyReversed):
                ledger_reverse(transaction=posted)
        if status != PaymentDispute.Status.OPEN and dispute.closed_at is None:
            dispute.closed_at = timezone.now()
        dispute.status = status
        dispute.provider_status = provider_status
        dispute.save()
    return dispute
