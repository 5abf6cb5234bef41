"""The only writer of the double-entry ledger: ``ledger_post`` (with ``ledger_transfer``, its
two-leg case) and ``ledger_reverse``.

Every transaction sums to zero in each currency, is written in one database transaction
together with its entries, and is idempotent on its key: posting the same key again returns
the first transaction instead of writing twice. That key is what makes every money-moving
service safe to retry, so callers derive it from their own ids (``payment:42``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError
from django.db import transaction as db_transaction

from accounts.models import Organization
from billing.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InvalidTransfer,
    UnbalancedTransaction,
)
from billing.models import LedgerAccount, LedgerEntry, LedgerTransaction
from billing.money import Money

__all__ = ["Posting", "account_for", "ledger_post", "ledger_reverse", "ledger_transfer"]


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a transaction to post: ``amount`` flows into ``account`` (negative: out)."""

    account: LedgerAccount
    amount: Money


def account_for(*, kind: str, currency: str, owner: Organization | None = None) -> LedgerAccount:
    """The account of this kind, owner and currency, opened on first use (race-safe)."""
    if kind in LedgerAccount.PLATFORM_KINDS and owner is not None:
        raise ValueError(f"{kind} is a platform account and has no owner.")
    lookup = {"kind": kind, "currency": currency, "owner": owner}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with db_transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def _fingerprint(pairs) -> list[tuple[int, int, str]]:
    return sorted(pairs)


def ledger_post(
    *,
    entries: Sequence[Posting],
    description: str,
    order_id: int | None,
    kind: str,
    idempotency_key: str,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or return the one already written under the key.

    Refuses (UnbalancedTransaction, nothing written) entries that do not sum to zero per
    currency, zero amounts and empty postings. A repeat with the same key and the same
    entries returns the first transaction; the same key with other entries is a bug in the
    caller and raises IdempotencyConflict.
    """
    if not idempotency_key:
        raise ValueError("A ledger posting needs an idempotency key.")
    entries = list(entries)
    if len(entries) < 2:
        raise UnbalancedTransaction("A ledger transaction needs at least two entries.")
    totals: dict[str, int] = defaultdict(int)
    for posting in entries:
        if posting.amount.minor == 0:
            raise UnbalancedTransaction("A ledger entry cannot be zero.")
        if posting.amount.currency != posting.account.currency:
            raise UnbalancedTransaction(
                f"{posting.amount} cannot go to the {posting.account.currency} account "
                f"{posting.account}."
            )
        totals[posting.amount.currency] += posting.amount.minor
    unbalanced = {c: t for c, t in totals.items() if t}
    if unbalanced:
        detail = ", ".join(str(Money(t, c)) for c, t in sorted(unbalanced.items()))
        raise UnbalancedTransaction(
            f"The entries of '{description}' do not balance: they sum to {detail}."
        )
    wanted = _fingerprint((p.account.pk, p.amount.minor, p.amount.currency) for p in entries)

    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with db_transaction.atomic():
                created = LedgerTransaction.objects.create(
                    kind=kind,
                    description=description[:300],
                    order_id=order_id,
                    idempotency_key=idempotency_key,
                    reverses=reverses,
                )
                LedgerEntry.objects.bulk_create(
                    LedgerEntry(
                        transaction=created,
                        account=p.account,
                        amount_minor=p.amount.minor,
                        currency=p.amount.currency,
                    )
                    for p in entries
                )
                return created
        except IntegrityError:
            # Someone posted the same key (or reversed the same transaction) first.
            existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise AlreadyReversed(
                    f"Transaction #{reverses.pk if reverses else '?'} has already been reversed."
                ) from None
    stored = _fingerprint(existing.entries.values_list("account_id", "amount_minor", "currency"))
    if stored != wanted:
        raise IdempotencyConflict(
            f"The key {idempotency_key!r} was already used for another ledger posting."
        )
    return existing


def ledger_transfer(
    *,
    source: LedgerAccount,
    destination: LedgerAccount,
    amount: Money,
    description: str,
    order_id: int | None,
    kind: str,
    idempotency_key: str,
) -> LedgerTransaction:
    """Move ``amount`` from ``source`` to ``destination``: the two-leg case of ``ledger_post``.

    Most money moves from one account to one other; this writes both legs (``-amount`` out
    of ``source``, ``+amount`` into ``destination``) so no caller builds them by hand.
    Refuses (InvalidTransfer, nothing written) an amount that is not positive, one account
    on both sides, and an amount or account in another currency. Idempotent on its key like
    ``ledger_post``.
    """
    if amount.minor <= 0:
        raise InvalidTransfer(f"A ledger transfer must move more than zero, not {amount}.")
    if source.pk == destination.pk:
        raise InvalidTransfer(f"A ledger transfer needs two accounts, not {source} twice.")
    if not amount.currency == source.currency == destination.currency:
        raise InvalidTransfer(
            f"{amount} cannot move from the {source.currency} account {source} to the "
            f"{destination.currency} account {destination}."
        )
    return ledger_post(
        entries=[
            Posting(account=source, amount=-amount),
            Posting(account=destination, amount=amount),
        ],
        description=description,
        order_id=order_id,
        kind=kind,
        idempotency_key=idempotency_key,
    )


def ledger_reverse(*, transaction: LedgerTransaction, description: str = "") -> LedgerTransaction:
    """Correct a transaction with a new one that negates every entry; at most once."""
    original = transaction
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"Transaction #{original.pk} has already been reversed.")
    entries = [
        Posting(account=entry.account, amount=-entry.amount)
        for entry in original.entries.select_related("account")
    ]
    return ledger_post(
        entries=entries,
        description=description or f"Reversal of #{original.pk}: {original.description}",
        order_id=original.order_id,
        kind=LedgerTransaction.Kind.REVERSAL,
        idempotency_key=f"reversal:{original.pk}",
        reverses=original,
    )
