"""The money audit: per-order invariants computed from the ledger, payments and payouts.

Selectors only, nothing is written. The ledger already refuses an unbalanced posting, but an
order can still go wrong while every transaction balances (the provider clearing account
absorbs it): a refund taken from escrow that was already released, a completed order whose
release failed, a rebate credited and never paid. These reads find such orders:

1. every ledger transaction sums to zero per currency;
2. the escrow held for an order (the ``customer_funds_held`` entries of its transactions,
   in the order they were posted) never goes below zero;
3. once an order is closed (completed, cancelled or expired, and its release done), money in
   (payments confirmed, plus any platform subsidy) equals money out (released to the parties'
   payables, the platform fee, refunds and rebates) and nothing is left held or owed back;
4. every party whose work was accepted has been released at least its price;
5. every payable released for an order has its payout opened, to the cent;
6. the VAT the order still owes (``vat_payable``: collected with the payment, less what went
   back with refunds) equals the VAT of its invoice less the VAT of its refunds' credit
   notes; an order without an invoice owes none once it is closed. (Orders whose payment
   was opened before payments collected VAT owe less than their invoice says: listed.)

Billing knows orders only by id, so what only the marketplace knows (is the order closed,
whose work was accepted) comes in as ``OrderFacts``: passed by the caller, or collected from
the receivers of ``billing.signals.order_facts_requested`` (the marketplace answers it), like
``payment_confirmed`` the other way round.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Organization
from billing.models import (
    Invoice,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
)
from billing.money import Money
from billing.signals import order_facts_requested

Kind = LedgerAccount.Kind
TxKind = LedgerTransaction.Kind

# Platform accounts that are not the platform's own money in an order's split.
PLATFORM_PASS_THROUGH = frozenset({Kind.PROVIDER_CLEARING, Kind.DISPUTES, Kind.PROVIDER_FEES})
# Transactions that move money out of (or back into) a payable after its release: not a release.
PAYOUT_KINDS = frozenset({TxKind.PAYOUT, TxKind.PAYOUT_REVERSAL})


# -- what the marketplace tells the audit ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class AcceptedWork:
    """One party's work that was handed over and accepted: its price must have been released."""

    party_id: str
    organization_id: int
    price: Money


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What billing cannot know of an order: its status, whether it is closed, whose work
    was accepted (none while disputed: releases are frozen until an operator decides)."""

    order_id: int
    reference: str
    status: str
    closed: bool
    accepted: tuple[AcceptedWork, ...] = ()


def order_facts(*, order_ids: Iterable[int] | None = None) -> dict[int, OrderFacts]:
    """The facts every receiver of ``order_facts_requested`` reports, by order id."""
    wanted = None if order_ids is None else list(order_ids)
    facts: dict[int, OrderFacts] = {}
    for _, answer in order_facts_requested.send(sender=OrderFacts, order_ids=wanted):
        for item in answer or ():
            facts[item.order_id] = item
    return facts


# -- what the audit reports -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UnbalancedPosting:
    """A ledger transaction whose entries do not sum to zero in one currency."""

    transaction_id: int
    idempotency_key: str
    order_id: int | None
    total: Money


@dataclass(frozen=True, slots=True)
class PartyShortfall:
    """A party whose accepted work was released less than its price on this order."""

    organization_id: int
    organization: str
    party_ids: tuple[str, ...]
    accepted: Money  # the prices of its accepted work
    released: Money  # what reached its payable for this order

    @property
    def missing(self) -> Money:
        return self.accepted - self.released


@dataclass(frozen=True, slots=True)
class PayoutGap:
    """A party whose payable released on this order differs from the payouts opened for it."""

    organization_id: int
    organization: str
    released: Money
    payouts_opened: Money


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """One order's money, and what breaks in it (``problems`` is empty when it adds up)."""

    order_id: int
    reference: str
    status: str
    closed: bool
    currency: str
    paid_in: Money  # payments confirmed
    subsidy: Money  # platform money put into the order (e.g. a cost overrun it absorbed)
    released: Money  # to the parties' payables, net
    fee: Money  # platform fee, net
    refunded: Money  # back to the customer: out of escrow, and the VAT given back with it
    rebates: Money  # credited to the customer's refunds account
    held: Money  # still in escrow now
    lowest_held: Money  # the lowest the escrow ever was
    rebate_unpaid: Money  # credited to the customer and not paid to it
    vat_owed: Money  # VAT payable for the order now (collected less given back)
    vat_due: Money | None = None  # invoiced VAT less VAT credited by refunds; None: no invoice
    unpaid_parties: tuple[PartyShortfall, ...] = ()
    payout_gaps: tuple[PayoutGap, ...] = ()

    @property
    def money_in(self) -> Money:
        return self.paid_in + self.subsidy

    @property
    def money_out(self) -> Money:
        """Where the money in went: the parties, the fee, back to the customer, and the VAT
        still owed to the tax office."""
        return self.released + self.fee + self.refunded + self.rebates + self.vat_owed

    @property
    def vat_mismatch(self) -> bool:
        """The VAT owed differs from what the invoice and credit notes say (no invoice: an
        order that is closed must owe none)."""
        if self.vat_due is None:
            return self.closed and bool(self.vat_owed.minor)
        return self.vat_owed != self.vat_due

    @property
    def negative_escrow(self) -> bool:
        return self.lowest_held.minor < 0 or self.held.minor < 0

    @property
    def money_stuck(self) -> bool:
        """Closed, yet money is still held, owed back, or in and out differ."""
        return self.closed and (
            bool(self.held.minor)
            or bool(self.rebate_unpaid.minor)
            or self.money_in != self.money_out
        )

    @property
    def money_created(self) -> Money:
        """What left the order beyond what came in (the platform paid it from elsewhere)."""
        excess = self.money_out - self.money_in
        return excess if excess.minor > 0 else Money(0, self.currency)

    @property
    def problems(self) -> tuple[str, ...]:
        found = []
        if self.negative_escrow:
            found.append(f"escrow went below zero (lowest {self.lowest_held}, now {self.held})")
        if self.money_stuck:
            found.append(
                f"closed with {self.held} held, {self.rebate_unpaid} rebate unpaid; "
                f"in {self.money_in}, out {self.money_out}"
            )
        if self.money_created.minor:
            found.append(f"{self.money_created} more went out than came in")
        for short in self.unpaid_parties:
            found.append(
                f"{short.organization} accepted work {', '.join(short.party_ids)} worth "
                f"{short.accepted}, released {short.released}"
            )
        if self.vat_mismatch:
            due = "none (no invoice)" if self.vat_due is None else str(self.vat_due)
            found.append(f"VAT owed {self.vat_owed}, invoiced less credited {due}")
        for gap in self.payout_gaps:
            found.append(
                f"{gap.organization} released {gap.released}, payouts opened {gap.payouts_opened}"
            )
        return tuple(found)

    @property
    def breaks(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True, slots=True)
class MoneyAudit:
    """The whole audit: every order looked at, and the unbalanced transactions."""

    orders: tuple[OrderMoney, ...]
    unbalanced: tuple[UnbalancedPosting, ...]
    breaking: tuple[OrderMoney, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "breaking", tuple(o for o in self.orders if o.breaks))

    @property
    def ok(self) -> bool:
        return not self.breaking and not self.unbalanced

    def counts(self) -> dict[str, int]:
        """The metrics the market simulation reports (all 0 when the money adds up)."""
        return {
            "ledger_unbalanced": len(self.unbalanced),
            "orders_negative_escrow": sum(o.negative_escrow for o in self.orders),
            "orders_with_money_stuck": sum(o.money_stuck for o in self.orders),
            "parties_unpaid_for_accepted_work": sum(len(o.unpaid_parties) for o in self.orders),
            "payouts_not_opened": sum(len(o.payout_gaps) for o in self.orders),
            "money_created_minor": sum(o.money_created.minor for o in self.orders),
            "orders_vat_mismatch": sum(o.vat_mismatch for o in self.orders),
        }


# -- the audit ------------------------------------------------------------------------------
def unbalanced_postings() -> list[UnbalancedPosting]:
    """Transactions whose entries do not sum to zero in some currency (one query)."""
    rows = (
        LedgerEntry.objects.values(
            "transaction_id",
            "transaction__idempotency_key",
            "transaction__order_id",
            "currency",
        )
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("transaction_id", "currency")
    )
    return [
        UnbalancedPosting(
            transaction_id=row["transaction_id"],
            idempotency_key=row["transaction__idempotency_key"],
            order_id=row["transaction__order_id"],
            total=Money(row["total"], row["currency"]),
        )
        for row in rows
    ]


@dataclass
class _Tally:
    """Running sums of one order's entries while they are read (minor units)."""

    currency: str = ""
    held: int = 0
    lowest: int = 0
    tx_held: dict[int, int] = field(default_factory=dict)
    released: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    platform: int = 0
    refunded: int = 0
    rebates: int = 0
    rebate_balance: int = 0
    vat: int = 0


def _tallies(order_ids: set[int] | None) -> dict[int, _Tally]:
    entries = LedgerEntry.objects.filter(transaction__order_id__isnull=False)
    if order_ids is not None:
        entries = entries.filter(transaction__order_id__in=order_ids)
    # In posting order (ids grow with each commit); clocks can disagree between workers.
    rows = entries.order_by("transaction_id", "id").values_list(
        "transaction__order_id",
        "transaction_id",
        "transaction__kind",
        "account__kind",
        "account__owner_id",
        "amount_minor",
        "currency",
    )
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for order_id, tx_id, tx_kind, account_kind, owner_id, minor, currency in rows:
        tally = tallies[order_id]
        tally.currency = tally.currency or currency
        if account_kind == Kind.CUSTOMER_FUNDS_HELD:
            tally.tx_held[tx_id] = tally.tx_held.get(tx_id, 0) + minor
            if tx_kind == TxKind.REFUND:
                tally.refunded -= minor
        elif account_kind in LedgerAccount.PAYABLE_KINDS and tx_kind not in PAYOUT_KINDS:
            tally.released[owner_id] += minor
        elif account_kind == Kind.VAT_PAYABLE:
            tally.vat += minor
            if tx_kind == TxKind.REFUND:
                tally.refunded -= minor  # the VAT given back went to the customer too
        elif account_kind == Kind.REFUNDS:
            tally.rebate_balance += minor
            if tx_kind not in (TxKind.REFUND, TxKind.PAYOUT):
                tally.rebates += minor
        elif (
            owner_id is None
            and account_kind not in PLATFORM_PASS_THROUGH
            and tx_kind not in PAYOUT_KINDS
        ):
            tally.platform += minor
    for tally in tallies.values():
        # Prefix sums per transaction, in posting order: the escrow after each posting.
        for delta in tally.tx_held.values():
            tally.held += delta
            tally.lowest = min(tally.lowest, tally.held)
    return tallies


def money_audit(
    *,
    facts: Mapping[int, OrderFacts] | None = None,
    order_ids: Iterable[int] | None = None,
) -> MoneyAudit:
    """Audit every order billing or the marketplace knows of (or only ``order_ids``).

    ``facts`` default to what ``order_facts_requested`` receivers report; without facts an
    order counts as open and no accepted work is checked. A handful of queries in all.
    """
    wanted = None if order_ids is None else set(order_ids)
    if facts is None:
        facts = order_facts(order_ids=wanted)
    tallies = _tallies(wanted)
    payments = Payment.objects.all()
    payouts = Payout.objects.filter(order_id__isnull=False)
    if wanted is not None:
        payments = payments.filter(order_id__in=wanted)
        payouts = payouts.filter(order_id__in=wanted)
    paid: dict[int, int] = defaultdict(int)
    currencies: dict[int, str] = {}
    references: dict[int, str] = {}
    for order_id, confirmed, currency, reference in payments.values_list(
        "order_id", "confirmed_amount_minor", "currency", "reference"
    ):
        paid[order_id] += confirmed
        currencies.setdefault(order_id, currency)
        references.setdefault(order_id, reference)
    opened: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for order_id, party_id, minor in payouts.values_list("order_id", "party_id", "amount_minor"):
        opened[order_id][party_id] += minor
    vat_due = _vat_due(wanted)
    every = set(tallies) | set(paid) | set(opened) | set(facts)
    if wanted is not None:
        every &= wanted
    organization_ids = {o for t in tallies.values() for o in t.released}
    organization_ids |= {o for per in opened.values() for o in per}
    organization_ids |= {w.organization_id for f in facts.values() for w in f.accepted}
    names = dict(Organization.objects.filter(pk__in=organization_ids).values_list("pk", "name"))
    orders = []
    for order_id in sorted(every):
        tally = tallies.get(order_id, _Tally())
        fact = facts.get(order_id)
        currency = tally.currency or currencies.get(order_id) or _facts_currency(fact) or "EUR"
        orders.append(
            _order_money(
                order_id=order_id,
                fact=fact,
                reference=(fact.reference if fact else references.get(order_id, "")),
                currency=currency,
                tally=tally,
                paid=paid.get(order_id, 0),
                opened=opened.get(order_id, {}),
                names=names,
                vat_due=vat_due.get(order_id),
            )
        )
    return MoneyAudit(orders=tuple(orders), unbalanced=tuple(unbalanced_postings()))


def _vat_due(order_ids: set[int] | None) -> dict[int, int]:
    """Per invoiced order: its invoice's VAT less the VAT its succeeded refunds gave back
    (each refund's credit note shows it). A credit note cancelling the invoice corrects the
    document, not the money, so it is not counted. Two queries."""
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
    if order_ids is not None:
        invoices = invoices.filter(order_id__in=order_ids)
        refunds = refunds.filter(payment__order_id__in=order_ids)
    due: dict[int, int] = defaultdict(int)
    for order_id, vat in invoices.values_list("order_id", "vat_minor"):
        due[order_id] += vat
    for order_id, vat in refunds.values_list("payment__order_id", "vat_minor"):
        if order_id in due:
            due[order_id] -= vat
    return dict(due)


def _facts_currency(fact: OrderFacts | None) -> str:
    if fact and fact.accepted:
        return fact.accepted[0].price.currency
    return ""


def _order_money(
    *,
    order_id: int,
    fact: OrderFacts | None,
    reference: str,
    currency: str,
    tally: _Tally,
    paid: int,
    opened: Mapping[int, int],
    names: Mapping[int, str],
    vat_due: int | None = None,
) -> OrderMoney:
    def m(minor: int) -> Money:
        return Money(minor, currency)

    accepted: dict[int, list[AcceptedWork]] = defaultdict(list)
    for work in fact.accepted if fact else ():
        accepted[work.organization_id].append(work)
    shortfalls = []
    for organization_id, works in sorted(accepted.items()):
        price = sum(w.price.minor for w in works)
        released = tally.released.get(organization_id, 0)
        if released < price:
            shortfalls.append(
                PartyShortfall(
                    organization_id=organization_id,
                    organization=names.get(organization_id, str(organization_id)),
                    party_ids=tuple(sorted(w.party_id for w in works)),
                    accepted=m(price),
                    released=m(released),
                )
            )
    gaps = []
    for organization_id in sorted(set(tally.released) | set(opened)):
        released = tally.released.get(organization_id, 0)
        if released != opened.get(organization_id, 0):
            gaps.append(
                PayoutGap(
                    organization_id=organization_id,
                    organization=names.get(organization_id, str(organization_id)),
                    released=m(released),
                    payouts_opened=m(opened.get(organization_id, 0)),
                )
            )
    return OrderMoney(
        order_id=order_id,
        reference=reference,
        status=fact.status if fact else "",
        closed=bool(fact and fact.closed),
        currency=currency,
        paid_in=m(paid),
        subsidy=m(max(0, -tally.platform)),
        released=m(sum(tally.released.values())),
        fee=m(max(0, tally.platform)),
        refunded=m(tally.refunded),
        rebates=m(tally.rebates),
        held=m(tally.held),
        lowest_held=m(tally.lowest),
        rebate_unpaid=m(tally.rebate_balance),
        vat_owed=m(tally.vat),
        vat_due=None if vat_due is None else m(vat_due),
        unpaid_parties=tuple(shortfalls),
        payout_gaps=tuple(gaps),
    )


# -- payout speed ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PayoutDelay:
    """How long a payout took from its release (the accepted hand-over, or the completion)
    to the money leaving; an unpaid one counts until ``now``."""

    payout_id: int
    order_id: int | None
    idempotency_key: str
    opened_at: datetime
    paid_at: datetime | None
    hours: float


def payout_delays(
    *, order_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[PayoutDelay]:
    """Every order payout's delay; it is opened in the release's own transaction, so its
    creation is the moment the work was accepted (or the order completed)."""
    now = now or timezone.now()
    payouts = Payout.objects.filter(order_id__isnull=False)
    if order_ids is not None:
        payouts = payouts.filter(order_id__in=list(order_ids))
    delays = []
    for pk, order_id, key, created, paid_at in payouts.order_by("pk").values_list(
        "pk", "order_id", "idempotency_key", "created_at", "paid_at"
    ):
        end = paid_at or now
        delays.append(
            PayoutDelay(
                payout_id=pk,
                order_id=order_id,
                idempotency_key=key,
                opened_at=created,
                paid_at=paid_at,
                hours=max(0.0, (end - created).total_seconds() / 3600),
            )
        )
    return delays


def percentile(values: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values): deterministic, no interpolation."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
