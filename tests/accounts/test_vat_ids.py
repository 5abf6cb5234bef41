"""The one VAT ID parser: compact numbers with their country, clear refusals, no Django."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.vat_ids import VatId, VatIdInvalid, vat_id_parse
from billing.vat import EU_STANDARD_RATES_BP
from tests.helpers import imported_django_modules


def test_a_valid_vat_id_is_compacted_and_gives_its_country():
    assert vat_id_parse(" de 136.695.976 ") == VatId("DE136695976", "DE")
    assert vat_id_parse("EL094259216").country == "GR"
    assert vat_id_parse("FR40303265045").number == "FR40303265045"


@pytest.mark.parametrize("text", ["", "   ", "DE136695977", "DE12", "US123456789", "ΕΛ0942"])
def test_a_bad_vat_id_is_refused_with_a_message(text):
    with pytest.raises(VatIdInvalid) as refused:
        vat_id_parse(text)
    assert "VAT ID" in str(refused.value)


def test_a_greek_vat_id_is_kept_with_its_el_prefix_whichever_was_typed():
    assert vat_id_parse("GR094259216") == VatId("EL094259216", "GR")
    assert vat_id_parse("gr 094 259 216") == vat_id_parse("EL094259216")


@given(st.text(max_size=60))
def test_any_string_is_a_vat_id_or_refused_cleanly_never_a_crash(text):
    outcome = _parsed_or_message(text)
    if isinstance(outcome, str):
        assert "VAT ID" in outcome
    else:
        assert outcome.number.isalnum()
        assert outcome.country in EU_STANDARD_RATES_BP or outcome.country == "GB"


def _parsed_or_message(text: str) -> VatId | str:
    try:
        return vat_id_parse(text)
    except VatIdInvalid as error:
        return str(error)


def test_the_parser_and_the_vat_rules_that_read_it_import_no_django():
    done = imported_django_modules("accounts.vat_ids", "billing.vat")
    assert done.returncode == 0, done.stdout + done.stderr
