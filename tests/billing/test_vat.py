"""VAT rules and rates: pure functions, no database (VAT IDs: tests/accounts/test_vat_ids.py)."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.vat_ids import vat_id_parse
from billing.vat import (
    EU_STANDARD_RATES_BP,
    EXPORT_MENTION,
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
    assert "Art. 138 Directive 2006/112/EC" in rule.mention


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


# -- where the goods go decides (hostile review: a Swiss or Dutch billing address made goods
#    delivered in Berlin tax-free) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("buyer", "vat_id"), [("CH", None), ("NL", "NL004495445B01"), ("US", None), ("DE", None)]
)
def test_goods_delivered_in_the_sellers_country_pay_its_rate_whoever_buys(buyer, vat_id):
    rule = vat_rule(
        seller_country="DE",
        buyer_country=buyer,
        buyer_vat=vat_id_parse(vat_id) if vat_id else None,
        delivery_country="DE",
    )
    assert (rule.treatment, rule.rate_bp, rule.mention) == ("domestic", 1900, "")


def test_goods_sent_to_another_member_state_for_a_vat_registered_buyer_are_exempt():
    rule = vat_rule(
        seller_country="DE",
        buyer_country="NL",
        buyer_vat=vat_id_parse("NL004495445B01"),
        delivery_country="NL",
    )
    assert (rule.treatment, rule.rate_bp, rule.mention) == (
        "reverse_charge",
        0,
        REVERSE_CHARGE_MENTION,
    )


def test_goods_leaving_the_eu_are_an_exempt_export_even_for_a_buyer_in_the_eu():
    rule = vat_rule(seller_country="DE", buyer_country="DE", buyer_vat=None, delivery_country="CH")
    assert (rule.treatment, rule.rate_bp, rule.mention) == ("export", 0, EXPORT_MENTION)


@given(
    seller=st.sampled_from(sorted(EU_STANDARD_RATES_BP)),
    buyer=st.sampled_from(COUNTRIES),
    delivery=st.sampled_from([c for c in COUNTRIES if c]),
    vat_id=st.one_of(st.none(), st.sampled_from(VALID_VAT_IDS)),
)
def test_the_delivery_decides_exports_domestic_sales_and_exempt_supplies(
    seller, buyer, delivery, vat_id
):
    buyer_vat = vat_id_parse(vat_id) if vat_id else None
    rule = vat_rule(
        seller_country=seller, buyer_country=buyer, buyer_vat=buyer_vat, delivery_country=delivery
    )
    leaves_the_eu = delivery not in EU_STANDARD_RATES_BP
    registered_elsewhere = buyer_vat is not None and buyer_vat.country == buyer and buyer != seller
    exempt_supply = not leaves_the_eu and delivery != seller and registered_elsewhere
    assert (rule.treatment == "export") == leaves_the_eu
    assert (rule.treatment == "reverse_charge") == exempt_supply
    if delivery == seller:
        assert rule.rate_bp == EU_STANDARD_RATES_BP[seller]
    assert (rule.rate_bp == 0) == (leaves_the_eu or exempt_supply)
