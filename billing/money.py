"""Money as integer minor units plus an ISO 4217 currency, with exact allocation.

No Django import: the ledger, the sharing rule and the payment providers all build on this,
and it is tested on its own with hypothesis.

Rounding rule: converting a decimal amount to minor units refuses anything that does not fit
the currency exactly (``InexactAmount``) unless the caller names a rounding mode, e.g.
``from_decimal(Decimal("12.345"), "EUR", rounding=ROUND_HALF_EVEN)``. Splitting an amount
never rounds at all: ``allocate`` hands out every minor unit by largest remainder.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "CURRENCY_EXPONENTS",
    "CurrencyMismatch",
    "InexactAmount",
    "Money",
    "MoneyError",
    "UnknownCurrency",
    "Weight",
    "allocate",
    "from_decimal",
    "parse",
    "split_evenly",
    "sum_money",
    "zero",
]

# Digits after the decimal point per ISO 4217 currency (minor-unit exponent).
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2,
    "BGN": 2,
    "CAD": 2,
    "CHF": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HUF": 2,
    "ISK": 0,
    "JPY": 0,
    "KRW": 0,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "RON": 2,
    "SEK": 2,
    "USD": 2,
}

Weight = int | Decimal | Fraction

_CODE_RE = re.compile(r"[A-Z]{3}")
_PARSE_RE = re.compile(r"(?P<number>[+-]?\d+(?:\.\d+)?) (?P<currency>[A-Za-z]{3})")


class MoneyError(ValueError):
    """Base class for money errors, so callers can catch them in one place."""


class UnknownCurrency(MoneyError):
    """The code is not an ISO 4217 code we know the minor-unit exponent of."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies met in one operation."""


class InexactAmount(MoneyError):
    """A decimal amount has more digits than the currency's minor unit and no rounding was named."""


def _check_currency(currency: object) -> str:
    if not isinstance(currency, str) or not _CODE_RE.fullmatch(currency):
        raise UnknownCurrency(
            f"Currency must be an upper-case ISO 4217 code such as 'EUR', got {currency!r}."
        )
    if currency not in CURRENCY_EXPONENTS:
        raise UnknownCurrency(
            f"Currency {currency} is not supported (known: {', '.join(CURRENCY_EXPONENTS)})."
        )
    return currency


def _check_int(value: object, what: str) -> int:
    # bool is an int subclass; True cents is always a bug. Floats are refused outright.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}.")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents) of one currency; immutable and hashable."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.minor, "Money.minor")
        _check_currency(self.currency)

    # -- inspection -------------------------------------------------------------------------
    @property
    def exponent(self) -> int:
        """Digits after the decimal point for this currency (2 for EUR, 0 for JPY)."""
        return CURRENCY_EXPONENTS[self.currency]

    @property
    def amount(self) -> Decimal:
        """The exact decimal value, e.g. Decimal('12.34'); for display and export only."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def is_zero(self) -> bool:
        return self.minor == 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def __bool__(self) -> bool:
        return self.minor != 0

    # -- arithmetic -------------------------------------------------------------------------
    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot {op} Money and {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot {op} {self} and {other}: different currencies.")
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same(other, "add")
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        other = self._same(other, "subtract")
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        # Only whole multiples: a fractional product needs a rounding decision, see allocate().
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    # -- comparison (equality comes from the dataclass: different currencies are unequal) ---
    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other, "compare").minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other, "compare").minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other, "compare").minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other, "compare").minor

    # -- text -------------------------------------------------------------------------------
    def format(self) -> str:
        """'12.34 EUR', '-0.05 EUR', '1200 JPY': the inverse of parse()."""
        exp = self.exponent
        sign = "-" if self.minor < 0 else ""
        units, frac = divmod(abs(self.minor), 10**exp)
        number = f"{units}.{frac:0{exp}d}" if exp else str(units)
        return f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()


def zero(currency: str) -> Money:
    """Zero in a currency: the start value of sums, so empty sums still know their currency."""
    return Money(0, currency)


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum amounts of one currency; refuses any other currency, even in an empty-looking sum."""
    total = zero(currency)
    for item in items:
        total = total + item
    return total


def from_decimal(
    value: Decimal | int | str, currency: str, *, rounding: str | None = None
) -> Money:
    """Convert a decimal amount in major units ('12.34') to Money.

    Exact by default: 12.345 EUR raises InexactAmount. Pass a decimal rounding mode such as
    ``decimal.ROUND_HALF_EVEN`` to round instead (12.345 -> 12.34, 12.355 -> 12.36).
    Floats are refused with TypeError: they cannot hold most cent amounts exactly.
    """
    _check_currency(currency)
    if isinstance(value, float | bool):
        raise TypeError(f"Refusing {type(value).__name__} for money; use Decimal or str.")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise MoneyError(f"Not a decimal amount: {value!r}.") from None
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"Expected Decimal, int or str, got {type(value).__name__}.")
    if not value.is_finite():
        raise MoneyError(f"Not a finite amount: {value}.")
    scaled = value.scaleb(CURRENCY_EXPONENTS[currency])
    whole = scaled.to_integral_value(rounding=rounding or decimal.ROUND_HALF_EVEN)
    if whole != scaled and rounding is None:
        raise InexactAmount(
            f"{value} {currency} has more than {CURRENCY_EXPONENTS[currency]} decimal places; "
            "name a rounding mode to round it."
        )
    return Money(int(whole), currency)


def parse(text: str) -> Money:
    """Parse '12.34 EUR' (the format() output); exact only, never rounds."""
    match = _PARSE_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise MoneyError(f"Expected an amount like '12.34 EUR', got {text!r}.")
    return from_decimal(Decimal(match["number"]), match["currency"])


def _as_fraction(weight: object) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, int | Decimal | Fraction):
        raise TypeError(f"Weights must be int, Decimal or Fraction, got {type(weight).__name__}.")
    if isinstance(weight, Decimal) and not weight.is_finite():
        raise ValueError(f"Weight must be finite, got {weight}.")
    fraction = Fraction(weight)
    if fraction < 0:
        raise ValueError(f"Weights must not be negative, got {weight}.")
    return fraction


def allocate(total: Money, weights: Sequence[Weight]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` so that the shares sum exactly to it.

    Largest remainder: everyone gets the floor of their exact share, and the minor units left
    over go one each to the largest fractional remainders; equal remainders go to the lower
    index first. A negative total is split as the negation of the positive split, so refunds
    mirror charges. Zero weights get exactly zero; all-zero (or no) weights raise ValueError.
    """
    if not isinstance(total, Money):
        raise TypeError(f"Expected Money, got {type(total).__name__}.")
    fractions = [_as_fraction(w) for w in weights]
    weight_sum = sum(fractions, Fraction(0))
    if weight_sum == 0:
        raise ValueError("Cannot allocate over no weights or weights that are all zero.")
    sign = -1 if total.minor < 0 else 1
    amount = abs(total.minor)
    exact = [amount * f / weight_sum for f in fractions]
    floors = [e.numerator // e.denominator for e in exact]
    left = amount - sum(floors)
    # Largest fractional part first; ties to the lower index (stable and documented).
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Money(sign * m, total.currency) for m in floors]


def split_evenly(total: Money, n: int) -> list[Money]:
    """Split into n shares differing by at most one minor unit; the first shares get the extra."""
    _check_int(n, "n")
    if n < 1:
        raise ValueError(f"Cannot split into {n} shares.")
    return allocate(total, [1] * n)
