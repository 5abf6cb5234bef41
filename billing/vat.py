"""VAT for invoices: EU standard rates, the treatment of a sale, rounding.

No Django import (pure, tested with hypothesis); VAT IDs are read by ``accounts.vat_ids``,
the one parser the billing profile uses too. Rates are in basis points (1 % = 100), so
Finland's 25.5 % is an integer. VAT is computed per invoice line, on the line's net amount in
minor units, rounded half-up (half a cent goes up; a credit line mirrors it, half a cent goes
down), and the invoice's VAT is the sum of its lines' VAT.

``EU_STANDARD_RATES_BP``: the standard rate of each member state. Source: European
Commission, DG TAXUD, "VAT rates applied in the Member States of the European Union",
situation at 1 January 2025, with the changes since then that the Commission published:
Estonia 24 % from 1 July 2025, Romania 21 % from 1 August 2025. Table as of 2025-08-01;
review it whenever a member state changes its standard rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accounts.vat_ids import VatId

EU_STANDARD_RATES_BP: dict[str, int] = {
    "AT": 2000,
    "BE": 2100,
    "BG": 2000,
    "CY": 1900,
    "CZ": 2100,
    "DE": 1900,
    "DK": 2500,
    "EE": 2400,
    "ES": 2100,
    "FI": 2550,
    "FR": 2000,
    "GR": 2400,
    "HR": 2500,
    "HU": 2700,
    "IE": 2300,
    "IT": 2200,
    "LT": 2100,
    "LU": 1700,
    "LV": 2100,
    "MT": 1800,
    "NL": 2100,
    "PL": 2300,
    "PT": 2300,
    "RO": 2100,
    "SE": 2500,
    "SI": 2200,
    "SK": 2300,
}
RATES_AS_OF = "2025-08-01"
RATES_SOURCE = (
    "European Commission, VAT rates applied in the Member States of the European Union"
    " (situation at 1 January 2025; EE 24 % from 2025-07-01, RO 21 % from 2025-08-01)"
)
REVERSE_CHARGE_MENTION = (
    "Reverse charge: exempt intra-Community supply of goods, Art. 138 Directive 2006/112/EC"
)
EXPORT_MENTION = "Exempt export of goods leaving the EU, Art. 146 Directive 2006/112/EC"
EXPORT_TO_CUSTOMER_MENTION = "Outside the scope of EU VAT: supply to a customer outside the EU"
Treatment = Literal["domestic", "intra_eu_b2c", "reverse_charge", "export"]


@dataclass(frozen=True, slots=True)
class VatRule:
    """How VAT applies to one sale: the rate of every line and the mention to print."""

    treatment: Treatment
    rate_bp: int
    mention: str = ""


def vat_rule(
    *,
    seller_country: str,
    buyer_country: str,
    buyer_vat: VatId | None,
    delivery_country: str = "",
) -> VatRule:
    """The VAT rule of a sale of goods (made parts, with their transport) by a seller
    established in the EU, the goods dispatched from the seller's country (a simplification:
    the platform sells what its workshops make).

    Where the goods go decides first (``delivery_country``):

    - out of the EU: no VAT, an exempt export (Art. 146), whoever the buyer is;
    - within the seller's country: the seller's standard rate, whoever the buyer is (a foreign
      VAT ID or a billing address abroad does not make a domestic delivery tax-free);
    - to another member state, for a buyer with a valid VAT ID of its billing country that is
      not the seller's: no VAT, an exempt intra-Community supply (Art. 138) the buyer accounts
      for (reverse charge);
    - to another member state otherwise (B2C): the seller's standard rate (a simplification:
      above the EU distance-sales threshold the destination's rate applies, through OSS).

    Without a delivery country (orders billed before it was recorded), the billing country
    stands in for it, as it did then: a buyer outside the EU pays no EU VAT.
    """
    seller_country = seller_country.upper()
    buyer_country = (buyer_country or "").upper()
    delivery_country = (delivery_country or "").upper()
    if seller_country not in EU_STANDARD_RATES_BP:
        raise ValueError(f"No EU standard rate for the seller's country {seller_country!r}.")
    seller_rate = EU_STANDARD_RATES_BP[seller_country]
    if not delivery_country:
        if buyer_country and buyer_country not in EU_STANDARD_RATES_BP:
            return VatRule("export", 0, EXPORT_TO_CUSTOMER_MENTION)
        delivery_country = buyer_country or seller_country
    if delivery_country not in EU_STANDARD_RATES_BP:
        return VatRule("export", 0, EXPORT_MENTION)
    if delivery_country == seller_country:
        return VatRule("domestic", seller_rate)
    if (
        buyer_vat is not None
        and buyer_vat.country == buyer_country
        and buyer_vat.country != seller_country
    ):
        return VatRule("reverse_charge", 0, REVERSE_CHARGE_MENTION)
    return VatRule("intra_eu_b2c", seller_rate)


def vat_of_line(net_minor: int, rate_bp: int) -> int:
    """VAT on one line in minor units, half-up (symmetric for negative lines)."""
    if rate_bp < 0:
        raise ValueError("A VAT rate is never negative.")
    if net_minor < 0:
        return -vat_of_line(-net_minor, rate_bp)
    return (net_minor * rate_bp + 5_000) // 10_000


def rate_label(rate_bp: int) -> str:
    """19 %, 25.5 %."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


def vat_given_back(
    *, net_total: int, vat_total: int, net_back: int, vat_back_before: int, net_back_before: int
) -> int:
    """The VAT that goes back with a refund of ``net_back`` out of ``net_total`` (minor units).

    In proportion, counted on the running total so the parts add up: the VAT back after this
    refund is ``vat_total * (net_back_before + net_back) / net_total`` rounded half-up, minus
    what earlier refunds already gave back, and never more than is left. So a refund of the
    whole net gives back exactly all the VAT, and the VAT payable never goes below zero.
    """
    if net_total <= 0 or vat_total <= 0 or net_back <= 0:
        return 0
    net_after = min(net_back_before + net_back, net_total)
    due_after = (vat_total * net_after * 2 + net_total) // (2 * net_total)
    if net_after >= net_total:
        due_after = vat_total
    return max(0, min(due_after - vat_back_before, vat_total - vat_back_before))
