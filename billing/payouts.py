"""Payouts: open one per key, send it, record the provider's answer, reverse it.

A payout is claimed by a compare-and-swap before the provider is called with no lock held,
so two workers never send it twice; the ledger is posted once when the money has left
(``payout:<id>``) and once per newly reversed amount (``payout-reversal:<id>:<total>``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import record
from accounts.models import Organization, User
from accounts.permissions import require_operator
from billing.errors import Conflict, PaymentAmountMismatch, ProviderError
from billing.ledger import account_for, ledger_transfer
from billing.models import ConnectedAccount, LedgerAccount, LedgerTransaction, Payment, Payout
from billing.money import Money
from billing.partner_events import payout_paid_emit
from billing.providers import default_provider_name, get_provider
from billing.providers.base import PaymentProvider, PayoutRequest, PayoutResult, ReversalRequest

Kind = LedgerAccount.Kind


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
    if account is None or not account.can_receive_transfers:
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
        status=Payout.Status.PROCESSING,
        attempts=F("attempts") + 1,
        error="",
        processing_since=timezone.now(),
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
        locked.processing_since = None
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
    """Mark the (locked) payout paid and post payable -> provider clearing; the caller saves."""
    payout.status = Payout.Status.PAID
    payout.paid_at = timezone.now()
    payout.error = ""
    ledger_transfer(
        source=account_for(kind=payout.account_kind, currency=payout.currency, owner=payout.party),
        destination=account_for(kind=Kind.PROVIDER_CLEARING, currency=payout.currency),
        amount=payout.amount,
        description=f"Payout {payout.idempotency_key} to {payout.party}",
        order_id=payout.order_id,
        kind=LedgerTransaction.Kind.PAYOUT,
        idempotency_key=f"payout:{payout.pk}",
    )
    payout_paid_emit(payout)


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
        record(
            actor=operator,
            action="payout.mark_paid",
            target=locked,
            details={"amount_minor": locked.amount_minor, "currency": locked.currency},
        )
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
        ledger_transfer(
            source=account_for(kind=Kind.PROVIDER_CLEARING, currency=locked.currency),
            destination=account_for(
                kind=locked.account_kind, currency=locked.currency, owner=locked.party
            ),
            amount=delta,
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
