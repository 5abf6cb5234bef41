"""Amounts as Stripe wants them: its units are not always ISO 4217 minor units.

Stripe takes every ``amount`` as an integer in its *own* unit for the currency:

- most currencies: the minor unit (cents), exponent 2, the same as ``billing.money``;
- zero-decimal currencies (JPY, KRW, ...): whole units, exponent 0, the same as ours;
- ISK: zero-decimal in ISO 4217 (and in ``billing.money``), but Stripe still represents it
  with two decimals that must be ``00``: 5 ISK is ``500``;
- HUF and TWD: two decimals for charges, but refunds, transfers and payouts must be whole
  units (an amount divisible by 100): a fractional one is refused before it is sent.

``to_stripe_amount`` and ``from_stripe_amount`` are the only places that convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from billing.errors import DomainError
from billing.money import CURRENCY_EXPONENTS, Money

__all__ = [
    "STRIPE_CURRENCY_RULES",
    "StripeAmountError",
    "StripeCurrencyRule",
    "from_stripe_amount",
    "to_stripe_amount",
]

Purpose = Literal["charge", "refund", "transfer", "payout"]


class StripeAmountError(DomainError):
    code = "stripe_amount_not_representable"


@dataclass(frozen=True, slots=True)
class StripeCurrencyRule:
    """How Stripe writes a currency: ``exponent`` decimals; whole units only for money out."""

    exponent: int
    whole_units_out: bool = False  # refunds, transfers and payouts in whole units only


_ZERO_DECIMAL = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]

STRIPE_CURRENCY_RULES: dict[str, StripeCurrencyRule] = {
    **{code: StripeCurrencyRule(exponent=0) for code in _ZERO_DECIMAL},
    "ISK": StripeCurrencyRule(exponent=2, whole_units_out=True),  # always ...00
    "HUF": StripeCurrencyRule(exponent=2, whole_units_out=True),
    "TWD": StripeCurrencyRule(exponent=2, whole_units_out=True),
}


def _rule(currency: str) -> StripeCurrencyRule:
    return STRIPE_CURRENCY_RULES.get(currency.upper(), StripeCurrencyRule(exponent=2))


def _our_exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency.upper(), _rule(currency).exponent)


def to_stripe_amount(money: Money, *, purpose: Purpose = "charge") -> int:
    """``money`` in Stripe's integer unit; refuses what Stripe could not take for ``purpose``."""
    rule = _rule(money.currency)
    shift = rule.exponent - _our_exponent(money.currency)
    if shift >= 0:
        amount = money.minor * 10**shift
    else:
        factor = 10**-shift
        if money.minor % factor:
            raise StripeAmountError(
                f"{money} cannot be charged through Stripe: it has more decimals than "
                f"{money.currency} allows there."
            )
        amount = money.minor // factor
    if purpose != "charge" and rule.whole_units_out and amount % 10**rule.exponent:
        raise StripeAmountError(
            f"Stripe sends {money.currency} back in whole units only; {money} is not a whole "
            f"amount. Round it to a whole {money.currency} first."
        )
    return amount


def from_stripe_amount(amount: int, currency: str) -> Money:
    """What Stripe reported (``amount`` in its unit for ``currency``) as our Money."""
    code = currency.upper()
    shift = _rule(code).exponent - _our_exponent(code)
    if shift >= 0:
        factor = 10**shift
        if amount % factor:
            raise StripeAmountError(
                f"Stripe reported {amount} {code}, which is not a whole {code} amount."
            )
        return Money(amount // factor, code)
    return Money(amount * 10**-shift, code)
