"""The VAT of payments and refunds: the ledger legs, and the VAT share a refund gives back.

A payment collects net + VAT: the net is the order's escrow, the VAT is owed to the tax
office (``vat_payable``). A refund names what leaves the escrow and gives back its share of
the VAT (``billing.vat.vat_given_back``); a refund made at the provider names the gross and
is split here. Callers hold the payment row lock, so the refunds read are settled.
"""

from __future__ import annotations

from accounts.models import Organization
from billing.ledger import Posting, account_for, ledger_post
from billing.models import LedgerAccount, LedgerTransaction, Payment, Refund
from billing.money import Money
from billing.vat import vat_given_back

Kind = LedgerAccount.Kind
TAKEN = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)  # refunds made or promised


def post_with_vat(
    *,
    clearing: Money,
    held: Money,
    vat: Money,
    payer: Organization | None,
    description: str,
    order_id: int,
    kind: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Money through the provider split between the order's escrow and VAT payable:
    ``clearing`` = ``held`` + ``vat`` is what came in (negative: went back). A payment posts
    clearing -gross, held +net, VAT payable +VAT; a refund the mirror image. Zero legs are
    left out (the ledger refuses zero entries), so a payment without VAT posts two."""
    currency = clearing.currency
    legs = [
        (account_for(kind=Kind.PROVIDER_CLEARING, currency=currency), -clearing),
        (account_for(kind=Kind.CUSTOMER_FUNDS_HELD, currency=currency, owner=payer), held),
        (account_for(kind=Kind.VAT_PAYABLE, currency=currency), vat),
    ]
    return ledger_post(
        entries=[Posting(account, amount) for account, amount in legs if amount.minor],
        description=description,
        order_id=order_id,
        kind=kind,
        idempotency_key=idempotency_key,
    )


def net_refundable(payment: Payment) -> Money:
    """What of the payment's net has not gone back yet (nor been promised back by a pending
    refund): a refund of it returns everything, VAT included."""
    taken = Refund.objects.filter(payment=payment, status__in=TAKEN).values_list(
        "amount_minor", "vat_minor"
    )
    net_back = sum(amount - vat for amount, vat in taken)
    return Money(payment.confirmed_amount_minor - payment.vat_minor - net_back, payment.currency)


def vat_back_for(*, payment: Payment, net: int) -> int:
    """The VAT that goes back with ``net`` out of the escrow, after the refunds already made
    or promised (the caller holds the payment row lock)."""
    if not payment.vat_minor:
        return 0
    taken = list(payment.refunds.filter(status__in=TAKEN).values_list("amount_minor", "vat_minor"))
    return vat_given_back(
        net_total=payment.amount_minor - payment.vat_minor,
        vat_total=payment.vat_minor,
        net_back=net,
        net_back_before=sum(amount - vat for amount, vat in taken),
        vat_back_before=sum(vat for _amount, vat in taken),
    )


def vat_within_refund(*, payment: Payment, gross: int) -> int:
    """The VAT part of ``gross`` refunded at the provider (the amount there includes VAT):
    the payment's VAT share of it, all the VAT left when it takes what is left."""
    if not payment.vat_minor:
        return 0
    taken = list(payment.refunds.filter(status__in=TAKEN).values_list("amount_minor", "vat_minor"))
    vat_left = payment.vat_minor - sum(vat for _amount, vat in taken)
    if gross >= payment.confirmed_amount_minor - sum(amount for amount, _vat in taken):
        return max(0, min(vat_left, gross))
    net = (gross * (payment.amount_minor - payment.vat_minor) * 2 + payment.amount_minor) // (
        2 * payment.amount_minor
    )
    return max(0, min(vat_left, gross - net))
