"""Money columns: every ``MoneyColumn`` on a billing model reads its minor-units column and the
row's currency back as the same ``Money`` the hand-written properties returned."""

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st

from billing.models import MoneyColumn, Payment
from billing.money import CURRENCY_EXPONENTS, Money

# Every money attribute callers read on billing's models (a removed one fails here).
EXPECTED = {
    ("BankFile", "total"): "total_minor",
    ("CreditNote", "amount"): "amount_minor",
    ("CreditNote", "vat"): "vat_minor",
    ("Invoice", "gross"): "gross_minor",
    ("Invoice", "net"): "net_minor",
    ("Invoice", "vat"): "vat_minor",
    ("LedgerEntry", "amount"): "amount_minor",
    ("Payment", "amount"): "amount_minor",
    ("Payment", "vat"): "vat_minor",
    ("PaymentDispute", "amount"): "amount_minor",
    ("Payout", "amount"): "amount_minor",
    ("Refund", "amount"): "amount_minor",
    ("Refund", "vat"): "vat_minor",
    ("ShareRecord", "forfeited"): "forfeited_minor",
    ("ShareRecord", "margin_share"): "margin_share_minor",
    ("ShareRecord", "payable"): "payable_minor",
    ("ShareRecord", "price"): "price_minor",
}


def _money_columns() -> dict[tuple[str, str], MoneyColumn]:
    found = {}
    for model in apps.get_app_config("billing").get_models():
        for name, value in vars(model).items():
            if isinstance(value, MoneyColumn):
                found[(model.__name__, name)] = value
    return found


def test_every_money_attribute_is_a_money_column_over_its_minor_units_column():
    found = _money_columns()
    assert {key: column.minor_column for key, column in found.items()} == EXPECTED
    for (model_name, _name), column in found.items():
        model = apps.get_model("billing", model_name)
        assert model._meta.get_field(column.minor_column).get_internal_type() == "BigIntegerField"
        assert model._meta.get_field(column.currency_column).max_length == 3


@given(
    key=st.sampled_from(sorted(EXPECTED)),
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_a_money_column_reads_back_exactly_what_its_columns_hold(key, minor, currency):
    model_name, name = key
    row = apps.get_model("billing", model_name)(**{EXPECTED[key]: minor, "currency": currency})
    assert getattr(row, name) == Money(minor, currency)


def test_a_money_column_is_read_only_so_writers_set_the_columns():
    payment = Payment(amount_minor=1250, currency="EUR")
    with pytest.raises(AttributeError, match="amount_minor"):
        payment.amount = Money(999, "EUR")
    assert payment.amount == Money(1250, "EUR")
    payment.amount_minor = 999
    assert payment.amount == Money(999, "EUR")
