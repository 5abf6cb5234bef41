"""Template filters that put stored figures in words: amounts kept as integer minor units
("96.90 EUR", never cents), grams as kilograms, quote labels ("Lowest CO2")."""

from django import template

from billing.money import Money
from matching.option_labels import label_words

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


@register.filter
def option_label(label: str) -> str:
    """`{{ label|option_label }}` -> "Lowest CO2" for "lowest_co2": a quote label in words."""
    return label_words(str(label))


@register.filter
def option_labels(labels) -> str:
    """`{{ option.labels|option_labels }}` -> "Cheapest, Balanced"."""
    return ", ".join(label_words(str(label)) for label in labels or ())
