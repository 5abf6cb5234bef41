"""EU VAT IDs read from what people type: the one parser of the platform.

No Django import (pure, tested with hypothesis): the billing profile checks an ID against its
country with it, and billing's VAT rules (``billing.vat``) read the buyer's country from it,
so the profile, the checkout and the invoice store and judge one number one way. Checked
offline (format and check digits with python-stdnum), not whether the number is registered:
that is VIES, online.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_VAT_ID_LENGTH = 20  # characters once spaces and punctuation are gone
# VAT number prefixes that differ from the ISO 3166-1 code of the country.
VAT_PREFIX_TO_ISO = {"EL": "GR", "XI": "GB"}
# ISO codes people type as a VAT prefix although the member state's prefix differs: Greek
# numbers are EL…, and python-stdnum accepts GR… too, so both are kept as EL….
ISO_TO_VAT_PREFIX = {"GR": "EL"}


class VatIdInvalid(ValueError):
    """A VAT ID that is not well formed or whose check digits are wrong (message for people)."""


@dataclass(frozen=True, slots=True)
class VatId:
    number: str  # compact, with the country prefix, e.g. DE136695976
    country: str  # ISO 3166-1 alpha-2 (Greece: GR although its numbers start with EL)


def vat_id_parse(text: str) -> VatId:
    """The VAT ID in compact form with its country. Any string gives a VatId or VatIdInvalid,
    never another exception."""
    from stdnum.eu import vat

    raw = "".join(ch for ch in (text or "") if ch.isalnum()).upper()
    if not raw:
        raise VatIdInvalid("Enter a VAT ID starting with its country code, e.g. DE136695976.")
    if len(raw) > MAX_VAT_ID_LENGTH or not raw.isascii():
        raise VatIdInvalid(f"“{text[:40]}” is not an EU VAT ID.")
    try:
        number = vat.compact(raw)
        valid = vat.is_valid(number)
    except Exception:  # stdnum raises its own errors on odd input; all mean "not valid"
        valid = False
        number = raw
    if not valid:
        raise VatIdInvalid(
            f"“{text[:40]}” is not a valid EU VAT ID: check the country code and the digits."
        )
    number = vat_prefix_normalised(number)
    prefix = number[:2]
    return VatId(number=number, country=VAT_PREFIX_TO_ISO.get(prefix, prefix))


def vat_prefix_normalised(number: str) -> str:
    """A compact VAT number with the member state's own prefix (GR094259216 → EL094259216),
    so one company's number is stored and printed one way."""
    prefix = number[:2]
    return ISO_TO_VAT_PREFIX.get(prefix, prefix) + number[2:]
