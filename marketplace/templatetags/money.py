"""Template filters for amounts kept as integer minor units."""

from django import template

from billing.money import Money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "EUR") -> str:
    """`{{ order.price_minor|money:order.currency }}` -> "1,234.50 EUR"."""
    if minor is None or minor == "":
        return "—"
    amount = Money(int(minor), currency or "EUR")
    units = amount.amount
    return f"{units:,.{amount.exponent}f} {amount.currency}"


@register.filter
def kg(grams: int | None) -> str:
    if grams is None:
        return "—"
    return f"{grams / 1000:,.1f} kg"
