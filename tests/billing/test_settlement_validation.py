"""A run for a currency or provider billing does not know is refused with a 400 everywhere,
and a bad run already stored does not break the operators' pages."""

import pytest

from billing.models import SettlementRun
from billing.settlement import InvalidSettlement, settlement_run
from tests.helpers import api_client_for, error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("currency", "provider", "code"),
    [
        ("XYZ", None, "unknown_currency"),
        ("", None, "unknown_currency"),
        ("EUR", "nope", "unknown_provider"),
    ],
)
def test_the_service_refuses_an_unknown_currency_or_provider(
    operator_olga, currency, provider, code
):
    with pytest.raises(InvalidSettlement) as raised:
        settlement_run(operator=operator_olga, currency=currency, provider=provider)
    assert raised.value.code == code
    assert raised.value.status_code == 400
    assert "EUR" in raised.value.message or "manual" in raised.value.message
    assert not SettlementRun.objects.exists()


def test_the_api_answers_400_with_its_error_body(operator_olga):
    olga = api_client_for(operator_olga)
    bad_currency = olga.post("/api/v1/billing/settlements/", {"currency": "XYZ"})
    assert bad_currency.status_code == 400
    error = error_of(bad_currency)
    assert error["code"] == "invalid"
    assert "not a currency billing pays out in" in error["fields"]["currency"][0]

    bad_provider = olga.post(
        "/api/v1/billing/settlements/", {"currency": "EUR", "provider": "nope"}
    )
    assert bad_provider.status_code == 400
    assert "not a payment provider" in error_of(bad_provider)["fields"]["provider"][0]
    assert not SettlementRun.objects.exists()
    assert olga.get("/api/v1/billing/settlements/").status_code == 200


def test_the_form_refuses_them_and_shows_the_page_again(client, operator_olga):
    client.force_login(operator_olga)
    for data in ({"currency": "XYZ"}, {"currency": "EUR", "provider": "nope"}):
        response = client.post("/billing/settlements/", data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not SettlementRun.objects.exists()


def test_pages_show_a_bad_run_already_stored(client, operator_olga):
    bad = SettlementRun.objects.create(
        currency="XYZ",
        provider="nope",
        status=SettlementRun.Status.PARTIAL,
        total_minor=12345,
        failed_minor=12345,
        payouts_count=1,
        failed_count=1,
    )
    client.force_login(operator_olga)
    listing = client.get("/billing/settlements/")
    assert listing.status_code == 200
    assert "12345 XYZ (minor units)" in listing.content.decode()
    detail = client.get(f"/billing/settlements/{bad.pk}/")
    assert detail.status_code == 200
    assert "12345 XYZ" in detail.content.decode()
    api = api_client_for(operator_olga)
    assert api.get(f"/api/v1/billing/settlements/{bad.pk}/").status_code == 200
    # Retrying it pays nothing and breaks nothing.
    assert client.post(f"/billing/settlements/{bad.pk}/retry/").status_code == 302
    assert client.get(f"/billing/settlements/{bad.pk}/").status_code == 200
