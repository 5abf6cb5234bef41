"""Operators edit a carrier's tariff table in the admin; a broken table is refused whole."""

from __future__ import annotations

import pytest

from marketplace.network.models import CarrierRate
from tests.factories import CarrierFactory
from tests.helpers import admin_sign_in

pytestmark = pytest.mark.django_db


def _post(client, carrier, rows):
    url = f"/admin/marketplace/carrier/{carrier.pk}/change/"
    data = {
        "organization": carrier.organization_id,
        "description": "",
        "countries": "DE",
        "base_fee_minor": 1500,
        "per_100km_minor": 80,
        "currency": "EUR",
        "speed_km_per_day": 600,
        "co2_g_per_km": 250,
        "parcel_max_kg": "31.5",
        "parcel_max_cm": 120,
        "pallet_max_kg": 1000,
        "rates-TOTAL_FORMS": len(rows),
        "rates-INITIAL_FORMS": 0,
        "rates-MIN_NUM_FORMS": 0,
        "rates-MAX_NUM_FORMS": 1000,
    }
    for i, (km, parcel, pallet) in enumerate(rows):
        data |= {
            f"rates-{i}-upto_km": km,
            f"rates-{i}-parcel_minor": parcel,
            f"rates-{i}-pallet_minor": pallet,
        }
    return client.post(url, data)


def test_an_operator_saves_a_valid_table(client, admin_user):
    carrier = CarrierFactory()
    admin_sign_in(client, admin_user)
    response = _post(client, carrier, [(300, 690, 6900), (900, 1290, 12900)])
    assert response.status_code == 302
    assert list(carrier.rates.values_list("upto_km", "parcel_minor", "pallet_minor")) == [
        (300, 690, 6900),
        (900, 1290, 12900),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(300, 990, 6900), (900, 690, 12900)], "is cheaper than"),
        ([(300, 990, 500)], "less than a parcel"),
    ],
)
def test_a_broken_table_is_refused_with_the_reason_and_nothing_saved(
    client, admin_user, rows, message
):
    carrier = CarrierFactory()
    admin_sign_in(client, admin_user)
    response = _post(client, carrier, rows)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CarrierRate.objects.filter(carrier=carrier).exists()
