"""Small parts travel as parcels: a 3-part order's transport and CO2 stay within what parcel
networks publish (5-25 EUR a parcel within a country, 10-60 EUR across the EU in 2025-26)."""

from __future__ import annotations

import pytest

from marketplace.demo.catalog import CARRIER_RATES
from marketplace.demo.seed import seed_carriers
from marketplace.network.models import Carrier, CarrierRate, Finish, Material
from marketplace.orders.quotes import LineSpec, quote_request_create
from matching.transport import RateBand, validate_rates
from tests.data.analyses import BRACKET
from tests.factories.designs import DesignRevisionFactory, bracket_and_gear
from tests.helpers import MUNICH, organization_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def test_the_demo_tariffs_are_valid_tables():
    assert set(CARRIER_RATES)
    for rows in CARRIER_RATES.values():
        assert validate_rates([RateBand(*row) for row in rows]) == []


def test_seeding_the_carriers_twice_gives_each_its_table_once():
    seed_carriers()
    seed_carriers()
    for name, rows in CARRIER_RATES.items():
        carrier = Carrier.objects.get(organization__name=name)
        assert list(carrier.rates.values_list("upto_km", "parcel_minor", "pallet_minor")) == [
            tuple(row) for row in rows
        ]


def test_three_small_parts_travel_as_parcels_at_parcel_prices(small_network, customer_alice):
    Carrier.objects.all().delete()
    seed_carriers()
    organization = organization_of(customer_alice)
    revisions = [
        *bracket_and_gear(organization),
        DesignRevisionFactory(design__organization=organization, analysis=dict(BRACKET)),
    ]
    aluminium = Material.objects.get(code="al-6061")
    anodized = Finish.objects.get(code="anodized")
    quote = quote_request_create(
        user=customer_alice,
        organization=organization,
        lines=[LineSpec(r, aluminium, anodized, 1) for r in revisions],
        ship_to=MUNICH,
    )
    assert quote.status == "ready", quote.reasons
    for option in quote.options.all():
        legs = option.route["legs"]
        assert legs
        for leg in legs:
            cross_border = leg["km"] > 800  # the demo tables' domestic bands end at 800 km
            low, high = (1000, 6000) if cross_border else (500, 2500)
            assert low <= leg["cost_minor"] <= high, leg
            assert 10 <= leg["co2_g"] < 1000, leg
        transport = sum(leg["cost_minor"] for leg in legs)
        assert transport < option.cost_minor / 3
        assert 100 <= sum(leg["co2_g"] for leg in legs) < 2000  # a few hundred grams


def test_a_pallet_cheaper_than_a_parcel_is_refused_by_the_database(small_network):
    from django.db import IntegrityError, transaction

    carrier = Carrier.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        CarrierRate.objects.create(carrier=carrier, upto_km=100, parcel_minor=900, pallet_minor=500)
    assert not carrier.rates.exists()
