"""VAT rules and rates: pure functions, no database (VAT IDs: tests/accounts/test_vat_ids.py)."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.vat_ids import vat_id_parse
from billing.vat import (
    EU_STANDARD_RATES_BP,
    REVERSE_CHARGE_MENTION,
    rate_label,
    vat_of_line,
    vat_rule,
)


def test_domestic_sales_pay_the_seller_rate():
    rule = vat_rule(seller_country="DE", buyer_country="DE", buyer_vat=vat_id_parse("DE136695976"))
    assert (rule.treatment, rule.rate_bp, rule.mention) == ("domestic", 1900, "")


def test_cross_border_b2b_with_a_valid_vat_id_is_reverse_charged():
    buyer = vat_id_parse("FR40303265045")
    rule = vat_rule(seller_country="DE", buyer_country="FR", buyer_vat=buyer)
    assert (rule.treatment, rule.rate_bp) == ("reverse_charge", 0)
    assert rule.mention == REVERSE_CHARGE_MENTION
    assert "Art. 196 Directive 2006/112/EC" in rule.mention


def test_cross_border_without_a_vat_id_pays_the_seller_rate_and_outside_the_eu_none():
    assert vat_rule(seller_country="DE", buyer_country="FR", buyer_vat=None).rate_bp == 1900
    export = vat_rule(seller_country="DE", buyer_country="US", buyer_vat=None)
    assert (export.treatment, export.rate_bp) == ("export", 0)


def test_every_member_state_has_a_plausible_standard_rate():
    assert len(EU_STANDARD_RATES_BP) == 27
    assert all(1500 <= rate <= 2700 for rate in EU_STANDARD_RATES_BP.values())
    assert rate_label(EU_STANDARD_RATES_BP["FI"]) == "25.5 %"


@pytest.mark.parametrize(
    ("net", "rate", "vat"), [(1005, 1900, 191), (50, 1000, 5), (25, 2000, 5), (1, 5000, 1)]
)
def test_vat_rounds_half_up_per_line(net, rate, vat):
    assert vat_of_line(net, rate) == vat
    assert vat_of_line(-net, rate) == -vat


@given(
    st.integers(min_value=0, max_value=10**12),
    st.sampled_from(sorted({*EU_STANDARD_RATES_BP.values(), 0})),
)
def test_vat_of_a_line_is_the_exact_amount_rounded_half_up(net, rate):
    exact = Decimal(net) * Decimal(rate) / Decimal(10_000)
    assert vat_of_line(net, rate) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


VALID_VAT_IDS = [
    "ATU13585627",
    "BE0403019261",
    "DE136695976",
    "EL094259216",
    "GR094259216",
    "FR40303265045",
    "IT00743110157",
    "NL004495445B01",
]
COUNTRIES = [*sorted(EU_STANDARD_RATES_BP), "US", "CH", "GB", ""]


def test_a_vat_id_of_another_country_than_the_buyer_is_no_reverse_charge():
    rule = vat_rule(
        seller_country="DE", buyer_country="AT", buyer_vat=vat_id_parse("FR40303265045")
    )
    assert (rule.treatment, rule.rate_bp, rule.mention) == ("intra_eu_b2c", 1900, "")


@given(
    seller=st.sampled_from(sorted(EU_STANDARD_RATES_BP)),
    buyer=st.sampled_from(COUNTRIES),
    vat_id=st.one_of(st.none(), st.sampled_from(VALID_VAT_IDS)),
)
def test_reverse_charge_only_for_a_vat_id_of_the_buyers_own_other_member_state(
    seller, buyer, vat_id
):
    buyer_vat = vat_id_parse(vat_id) if vat_id else None
    rule = vat_rule(seller_country=seller, buyer_country=buyer, buyer_vat=buyer_vat)
    own_id = buyer_vat is not None and buyer_vat.country == buyer
    in_eu_elsewhere = buyer in EU_STANDARD_RATES_BP and buyer != seller
    assert (rule.treatment == "reverse_charge") == (own_id and in_eu_elsewhere)
    assert (rule.rate_bp == 0) == (rule.treatment in ("reverse_charge", "export"))
