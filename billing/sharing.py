"""The profit-sharing rule: how an order's margin is split between the parties that made it.

Pure and Django-free so it can be property-tested and shown on statements unchanged. The
rule and its reasons are written up in docs/profit-sharing.md; the constants below are the
rule's numbers, and changing one changes what workshops are paid, so treat it as a
product decision that needs the doc updated.

Rule in one breath: every party is paid its own price, plus a share of the margin in
proportion to ``weight = (1/2 * price + 1/2 * saving) * punctuality * quality``, where
the price counts up to the market value of the work and ``saving`` is how much cheaper the
party was than that value. The market value is the runner-up's price (an independent,
verified offer for the same work), bounded by the reference price (the estimator's median
price for the work); an irreplaceable party's work is valued at the reference. So the base
weight is half the market value, whatever the party charges: raising one's own price never
raises one's weight. What lateness and quality take away goes to the customer as a rebate.
Every minor unit is handed out by largest remainder; ties go to the party listed first.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from billing.money import CurrencyMismatch, Money, allocate, sum_money

__all__ = [
    "ALPHA",
    "LATE_FLOOR",
    "LATE_GRACE",
    "LATE_STEP_PER_DAY",
    "QUALITY_FACTORS",
    "NegativeMargin",
    "OrderSplit",
    "PartyContribution",
    "PartyShare",
    "Quality",
    "days_late",
    "market_value",
    "order_split",
    "punctuality_factor",
    "share_margin",
]

# Weight of the price (work done) against the saving (value to the plan). At exactly 1/2 the
# base weight is half the market value, independent of the party's own price; any other value
# would let a party move its weight by moving its price.
ALPHA = Fraction(1, 2)
# Lateness is counted only after this grace past the promised moment (settings may override
# it as SHARING_LATE_GRACE_HOURS) ...
LATE_GRACE = timedelta(hours=24)
# Punctuality falls by this much per whole day late ...
LATE_STEP_PER_DAY = Fraction(1, 10)
# ... and never below this floor (reached at 8 days late).
LATE_FLOOR = Fraction(1, 5)


class Quality(enum.Enum):
    """How the party's work came out of inspection."""

    ACCEPTED = "accepted"  # passed first time
    REWORKED = "reworked"  # failed inspection, fixed by the party itself, then accepted
    REJECTED = "rejected"  # unusable: someone else had to redo it


QUALITY_FACTORS: dict[Quality, Fraction] = {
    Quality.ACCEPTED: Fraction(1),
    Quality.REWORKED: Fraction(1, 2),
    Quality.REJECTED: Fraction(0),
}

_QUALITY_WORDS = {
    Quality.ACCEPTED: "Your work passed inspection first time",
    Quality.REWORKED: "Your work had to be reworked after inspection",
    Quality.REJECTED: "Your work was rejected at inspection",
}


class NegativeMargin(ValueError):
    """The customer price does not cover the parties' prices and the platform fee."""


@dataclass(frozen=True, slots=True)
class PartyContribution:
    """One party's part in an order, as the matcher planned it and as it was delivered.

    ``runner_up_price`` is what the best independent, verified alternative the matcher found
    would have charged for the same work (None: nobody else in the network could do it).
    ``reference_price`` is the estimator's median price for the work, the bound on what a
    runner-up may count for (None: not recorded; an irreplaceable party is then valued at its
    own price). ``days_late`` counts whole days past the promised date after the grace (see
    ``days_late()``; 0 = on time).
    """

    party_id: str
    price: Money
    runner_up_price: Money | None
    kind: str = "workshop"  # "workshop" (per step) or "carrier" (per leg)
    label: str = ""  # e.g. "CNC milling" or "leg Lyon -> Turin", for statements
    days_late: int = 0
    quality: Quality = Quality.ACCEPTED
    reference_price: Money | None = None


@dataclass(frozen=True, slots=True)
class PartyShare:
    """One party's result: its margin share, what it is paid, and why, in plain words."""

    party_id: str
    kind: str
    price: Money
    runner_up_price: Money | None
    saving: Money  # market value minus the price, never below 0
    capped: bool  # True when the reference bounded the value (including irreplaceable parties)
    punctuality: Fraction
    quality_factor: Fraction
    weight: Fraction  # in minor units, after both factors
    margin_share: Money
    forfeited: Money  # what the factors moved from this party to the customer rebate
    payable: Money  # price + margin_share
    explanation: str
    label: str = ""  # the contribution's label, carried through for statements
    reference_price: Money | None = None
    market_value: Money | None = None  # what the work was worth: see sharing.market_value


@dataclass(frozen=True, slots=True)
class OrderSplit:
    """Where every minor unit of the customer price goes.

    Invariant: sum of payables + platform_fee + customer_rebate == customer_price.
    """

    customer_price: Money
    platform_fee: Money
    margin: Money
    shares: list[PartyShare]
    customer_rebate: Money

    @property
    def payables(self) -> dict[str, Money]:
        """Party id -> amount to transfer, with the platform under "platform"."""
        result = {share.party_id: share.payable for share in self.shares}
        result["platform"] = self.platform_fee
        return result


def punctuality_factor(days_late: int) -> Fraction:
    """1 on time, minus 1/10 per whole day late, never below 1/5."""
    if isinstance(days_late, bool) or not isinstance(days_late, int) or days_late < 0:
        raise ValueError(f"days_late must be a whole number of days >= 0, got {days_late!r}.")
    return max(Fraction(1) - LATE_STEP_PER_DAY * days_late, LATE_FLOOR)


def days_late(*, finished: datetime, promised: datetime, grace: timedelta = LATE_GRACE) -> int:
    """Whole days late, counted against what was promised only once the grace has passed.

    Finishing a second after the plan is noise, not a broken promise: nothing is counted
    within ``grace``, then every started day past it counts as one (grace + 1 s -> 1 day).
    """
    if grace < timedelta(0):
        raise ValueError("The grace period must not be negative.")
    over = finished - promised - grace
    if over <= timedelta(0):
        return 0
    return -(-over // timedelta(days=1))  # whole started days, in exact integer arithmetic


def market_value(party: PartyContribution) -> tuple[int, bool]:
    """What the party's work was worth on the market, in minor units, and whether the
    reference bounded it.

    The runner-up's price, bounded above by the reference price, so an inflated runner-up
    (a colluding second organization) counts no more than the estimator's median for the
    work. An irreplaceable party's work is worth the reference: the market price of work
    nobody else offers is the estimate, not what the one offer asks. Without a reference, a
    runner-up counts as it is and an irreplaceable party at its own price (no saving).
    """
    runner_up = party.runner_up_price
    reference = party.reference_price
    if runner_up is None:
        if reference is None:
            return party.price.minor, True
        return reference.minor, True
    if reference is not None and runner_up.minor > reference.minor:
        return reference.minor, True
    return runner_up.minor, False


def _fmt_factor(f: Fraction) -> str:
    return str((Decimal(f.numerator) / Decimal(f.denominator)).quantize(Decimal("0.01")))


def _fmt_minor(value: Fraction, like: Money) -> str:
    """A fractional minor-unit amount for display only, rounded half-even to the minor unit."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))
    return str(Money(rounded, like.currency))


def _check(margin: Money, parties: Sequence[PartyContribution]) -> None:
    if not isinstance(margin, Money):
        raise TypeError("margin must be Money.")
    if margin.minor < 0:
        raise NegativeMargin(
            f"The margin is {margin}: the customer price does not cover the parties' prices "
            "and the platform fee, so there is nothing to share."
        )
    if not parties:
        raise ValueError("An order needs at least one party to share its margin.")
    seen: set[str] = set()
    for p in parties:
        if p.party_id in seen:
            raise ValueError(f"Party {p.party_id!r} appears twice; merge its work first.")
        seen.add(p.party_id)
        for money in (p.price, p.runner_up_price, p.reference_price):
            if money is not None and money.currency != margin.currency:
                raise CurrencyMismatch(
                    f"Party {p.party_id!r} is priced in {money.currency}, "
                    f"the margin in {margin.currency}."
                )
        if any(
            m is not None and m.minor < 0 for m in (p.price, p.runner_up_price, p.reference_price)
        ):
            raise ValueError(f"Party {p.party_id!r} has a negative price.")
        if not isinstance(p.quality, Quality):
            raise TypeError(f"Party {p.party_id!r}: quality must be a Quality.")


def share_margin(*, margin: Money, parties: Sequence[PartyContribution]) -> list[PartyShare]:
    """Split ``margin`` between ``parties`` by the documented rule; shares come back in order.

    Every share is >= 0; shares plus the rebate (``margin - sum(shares)``, see order_split)
    equal the margin exactly. Identical parties get shares within one minor unit, the
    earlier-listed one getting the extra unit, so pass parties in plan order.
    """
    _check(margin, parties)
    currency = margin.currency
    values = [market_value(p) for p in parties]
    # The price counts up to the market value and the saving is what is left of the value,
    # so with ALPHA = 1/2 the base is half the market value, whatever the party charges.
    counted = [min(p.price.minor, v) for p, (v, _) in zip(parties, values, strict=True)]
    savings = [v - c for (v, _), c in zip(values, counted, strict=True)]
    base = [ALPHA * c + (1 - ALPHA) * s for c, s in zip(counted, savings, strict=True)]
    factors = [(punctuality_factor(p.days_late), QUALITY_FACTORS[p.quality]) for p in parties]
    weights = [b * pf * qf for b, (pf, qf) in zip(base, factors, strict=True)]
    forfeit_weights = [b - w for b, w in zip(base, weights, strict=True)]
    rebate_weight = sum(forfeit_weights, Fraction(0))

    if sum(base, Fraction(0)) == 0:
        # Nobody brought priced work (all prices zero): nothing to weigh by, so the
        # whole margin goes back to the customer.
        allocated = [Money(0, currency)] * len(parties)
        rebate = margin
    else:
        # One allocation over the parties plus the rebate, so the rebate's rounding is
        # decided together with everyone's; the rebate is last, so ties favour parties.
        *allocated, rebate = allocate(margin, [*weights, rebate_weight])
    if rebate.minor and rebate_weight:
        forfeited = allocate(rebate, forfeit_weights)
    else:
        forfeited = [Money(0, currency)] * len(parties)

    shares = []
    for i, p in enumerate(parties):
        value, capped = values[i]
        pf, qf = factors[i]
        saving_money = Money(savings[i], currency)
        shares.append(
            PartyShare(
                party_id=p.party_id,
                kind=p.kind,
                price=p.price,
                runner_up_price=p.runner_up_price,
                saving=saving_money,
                capped=capped,
                punctuality=pf,
                quality_factor=qf,
                weight=weights[i],
                margin_share=allocated[i],
                forfeited=forfeited[i],
                payable=p.price + allocated[i],
                explanation=_explain(
                    p,
                    Money(value, currency),
                    Money(counted[i], currency),
                    saving_money,
                    base[i],
                    pf,
                    qf,
                    allocated[i],
                    forfeited[i],
                    margin,
                ),
                label=p.label,
                reference_price=p.reference_price,
                market_value=Money(value, currency),
            )
        )
    return shares


def _explain(
    p: PartyContribution,
    value: Money,
    counted: Money,
    saving: Money,
    base: Fraction,
    pf: Fraction,
    qf: Fraction,
    share: Money,
    forfeited: Money,
    margin: Money,
) -> str:
    """The statement text: every number the rule used, in the order the rule uses them."""
    parts = [f"Your price {p.price}."]
    runner_up, reference = p.runner_up_price, p.reference_price
    if runner_up is None and reference is None:
        parts.append(
            "No other independent offer in the network could do this work and no reference "
            f"price was recorded, so your work is valued at your own price: {value}."
        )
    elif runner_up is None:
        parts.append(
            "No other independent offer in the network could do this work, so it is valued "
            f"at the reference price for the work: {value}."
        )
    elif reference is not None and runner_up.minor > reference.minor:
        parts.append(
            f"The next-best offer would have cost {runner_up}; offers count up to the "
            f"reference price for the work, so your work is valued at {value}."
        )
    elif runner_up.minor > p.price.minor:
        parts.append(
            f"Without you the next-best offer would have cost {runner_up}, so you saved the "
            f"order {runner_up - p.price}."
        )
    else:
        parts.append(f"Without you the next-best offer would have cost {runner_up}.")
    if counted.minor < p.price.minor:
        parts.append(
            f"Your price counts up to that value, {counted}, and you saved the order nothing "
            "(you were chosen for date or CO2)."
        )
    elif saving.minor and (runner_up is None or value.minor != runner_up.minor):
        parts.append(f"You saved the order {saving}.")
    half_price = _fmt_minor(ALPHA * counted.minor, p.price)
    half_saving = _fmt_minor((1 - ALPHA) * saving.minor, p.price)
    parts.append(
        f"Your weight is half your price plus half your saving: {half_price} + {half_saving}"
        f" = {_fmt_minor(base, p.price)}."
    )
    if p.days_late == 0:
        parts.append("You delivered on time (factor 1.00).")
    else:
        days = "1 day" if p.days_late == 1 else f"{p.days_late} days"
        parts.append(
            f"You delivered {days} late (factor {_fmt_factor(pf)}: "
            f"minus 0.10 a day, never below {_fmt_factor(LATE_FLOOR)})."
        )
    parts.append(f"{_QUALITY_WORDS[p.quality]} (factor {_fmt_factor(qf)}).")
    if forfeited.minor:
        parts.append(f"These factors moved {forfeited} of your share to the customer as a rebate.")
    parts.append(f"Your share of the {margin} margin: {share}, so you are paid {p.price + share}.")
    return " ".join(parts)


def order_split(
    *, customer_price: Money, platform_fee: Money, parties: Sequence[PartyContribution]
) -> OrderSplit:
    """Everything an order's money turns into: party payables, platform fee, customer rebate.

    The margin is what is left of the customer price after every party's price and the
    platform fee; a negative margin raises NegativeMargin (the platform decides how to
    absorb a loss, not this rule). With no parties (a dispute decided to pay nobody) the
    whole margin is the customer's rebate.
    """
    if platform_fee.currency != customer_price.currency:
        raise CurrencyMismatch("The platform fee and the customer price differ in currency.")
    if platform_fee.minor < 0:
        raise ValueError("The platform fee must not be negative.")
    for p in parties:
        if p.price.currency != customer_price.currency:
            raise CurrencyMismatch(
                f"Party {p.party_id!r} is priced in {p.price.currency}, "
                f"the order in {customer_price.currency}."
            )
    cost = sum_money((p.price for p in parties), customer_price.currency)
    margin = customer_price - cost - platform_fee
    if not parties:
        # A dispute decided to pay nobody: there is no work to weigh the margin by, so what
        # the order keeps beyond the fee goes back to the customer.
        if margin.minor < 0:
            _check(margin, parties)
        return OrderSplit(
            customer_price=customer_price,
            platform_fee=platform_fee,
            margin=margin,
            shares=[],
            customer_rebate=margin,
        )
    shares = share_margin(margin=margin, parties=parties)
    rebate = margin - sum_money((s.margin_share for s in shares), margin.currency)
    return OrderSplit(
        customer_price=customer_price,
        platform_fee=platform_fee,
        margin=margin,
        shares=shares,
        customer_rebate=rebate,
    )
