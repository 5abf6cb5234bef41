"""Freight as parcels and pallets: chargeable weight, packing, distance bands, CO2 per t-km."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.estimation import CarrierSpec, carrier_leg, transport_leg
from matching.transport import (
    HGV_KG_CO2E_PER_TKM,
    MIN_BOX_CM3,
    PACKAGING_KG,
    PALLET,
    PARCEL,
    VAN_KG_CO2E_PER_TKM,
    Consignment,
    RateBand,
    band_for,
    consignment_of,
    freight,
    pack,
    validate_rates,
)

RATES = (
    RateBand(150, 690, 6900),
    RateBand(400, 890, 8900),
    RateBand(800, 1290, 12900),
    RateBand(1500, 1990, 18900),
)
PARCELS = CarrierSpec("p", 0, 0, 800, 0, name="Parcels", rates=RATES)
STUTTGART, MUNICH, EINDHOVEN = (48.7758, 9.1829), (48.1351, 11.5820), (51.4416, 5.4697)


def test_chargeable_weight_is_the_larger_of_actual_and_volumetric():
    light_and_bulky = Consignment(actual_kg=0.5, volume_cm3=30 * 20 * 15, longest_cm=30)
    assert light_and_bulky.volumetric_kg == pytest.approx(1.8)
    assert light_and_bulky.chargeable_kg == pytest.approx(1.8)
    dense = Consignment(actual_kg=12.0, volume_cm3=20 * 20 * 10, longest_cm=20)
    assert dense.chargeable_kg == 12.0


def test_three_small_aluminium_parts_are_one_parcel_of_a_few_hundred_grams():
    parts = [
        (12_000.0, (45.0, 30.0, 30.0), 2.70, 1),  # bracket
        (9_000.0, (40.0, 40.0, 8.0), 2.70, 1),  # gear
        (3_000.0, (60.0, 8.0, 8.0), 2.70, 1),  # shaft
    ]
    load = consignment_of(parts)
    assert load.actual_kg == pytest.approx(24_000 / 1000 * 2.70 / 1000 + PACKAGING_KG)
    assert load.volume_cm3 == MIN_BOX_CM3  # three small parts fit the smallest carton
    assert 0.3 < load.chargeable_kg < 1.0
    packing = pack(load, PARCELS)
    assert (packing.kind, packing.count) == (PARCEL, 1)


def test_a_heavy_or_long_load_goes_on_pallets():
    heavy = Consignment(actual_kg=400.0, volume_cm3=100_000, longest_cm=80)
    assert pack(heavy, PARCELS).kind == PALLET
    long_tube = Consignment(actual_kg=3.0, volume_cm3=20_000, longest_cm=200)
    assert pack(long_tube, PARCELS).kind == PALLET
    two_tonnes = Consignment(actual_kg=2_000.0, volume_cm3=1_000_000, longest_cm=100)
    assert pack(two_tonnes, PARCELS).count == 2


def test_a_few_parcels_stay_parcels():
    sixty_kg = Consignment(actual_kg=60.0, volume_cm3=60_000, longest_cm=40)
    packing = pack(sixty_kg, PARCELS)
    assert (packing.kind, packing.count) == (PARCEL, 2)
    cost, _, _ = freight(PARCELS, 100, sixty_kg)
    assert cost == 2 * 690


def test_the_price_is_the_band_reaching_the_distance():
    assert band_for(RATES, 10).parcel_minor == 690
    assert band_for(RATES, 150).parcel_minor == 690
    assert band_for(RATES, 151).parcel_minor == 890
    assert band_for(RATES, 1500).pallet_minor == 18900


def test_beyond_the_last_band_the_price_grows_with_distance():
    assert band_for(RATES, 3000).parcel_minor == 2 * 1990


def test_co2_is_chargeable_tonne_km_times_the_published_factor_of_the_vehicle():
    parcel = Consignment(actual_kg=2.0, volume_cm3=5_000, longest_cm=20)
    _, co2, _ = freight(PARCELS, 500, parcel)
    assert co2 == round(2.0 / 1000 * 500 * VAN_KG_CO2E_PER_TKM * 1000)
    pallet = Consignment(actual_kg=500.0, volume_cm3=500_000, longest_cm=110)
    _, co2, _ = freight(PARCELS, 500, pallet)
    assert co2 == round(500 / 1000 * 500 * HGV_KG_CO2E_PER_TKM * 1000)


def test_a_carrier_without_a_table_is_still_priced_as_a_vehicle():
    vehicle = CarrierSpec("v", 1500, 80, 600.0, 250.0)
    minutes, cost, co2 = carrier_leg(vehicle, 200)
    assert (minutes, cost, co2) == (24 * 60, 1500 + 160, 50_000)


def test_a_domestic_small_parcel_costs_what_parcel_networks_charge():
    leg = transport_leg(STUTTGART, MUNICH, [PARCELS])
    assert 500 <= leg.cost <= 2500
    assert leg.co2 < 1000


def test_a_cross_border_small_parcel_costs_what_parcel_networks_charge():
    leg = transport_leg(STUTTGART, EINDHOVEN, [PARCELS])
    assert 1000 <= leg.cost <= 6000


@pytest.mark.parametrize(
    ("rates", "problem"),
    [
        ((RateBand(100, 500, 400),), "pallet costs less than a parcel"),
        ((RateBand(100, 500, 5000), RateBand(100, 600, 6000)), "listed twice"),
        ((RateBand(100, 900, 5000), RateBand(200, 600, 6000)), "is cheaper than"),
        ((RateBand(0, 500, 5000),), "positive distance"),
        ((RateBand(100, 0, 5000),), "must be positive"),
    ],
)
def test_a_broken_tariff_table_is_refused_with_the_reason(rates, problem):
    assert any(problem in p for p in validate_rates(rates))


bands = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(1, 10_000), st.integers(0, 100_000)),
    min_size=1,
    max_size=6,
    unique_by=lambda row: row[0],
).map(
    # a valid table: sorted by distance, prices never falling, pallets >= parcels
    lambda rows: tuple(
        RateBand(km, parcel, parcel + pallet_extra)
        for km, parcel, pallet_extra in zip(
            sorted(r[0] for r in rows),
            sorted(r[1] for r in rows),
            sorted(r[2] for r in rows),
            strict=True,
        )
    )
)
loads = st.builds(
    Consignment,
    actual_kg=st.floats(0.01, 3000),
    volume_cm3=st.floats(10, 5_000_000),
    longest_cm=st.floats(1, 230),
)


@given(rates=bands, load=loads, km=st.floats(1, 4000), more=st.floats(0, 2000))
def test_on_any_valid_table_farther_never_costs_less(rates, load, km, more):
    carrier = CarrierSpec("c", 0, 0, 600, 0, rates=rates)
    assert validate_rates(rates) == []
    near, _, _ = freight(carrier, km, load)
    far, _, _ = freight(carrier, km + more, load)
    assert far >= near > 0


@given(load=loads, km=st.floats(1, 4000))
def test_the_chargeable_weight_rules_the_packing_and_the_co2(load, km):
    packing = pack(load, PARCELS)
    assert packing.chargeable_kg == max(load.actual_kg, load.volume_cm3 / 5000)
    capacity = PARCELS.parcel_max_kg if packing.kind == PARCEL else PARCELS.pallet_max_kg
    assert packing.count == max(1, math.ceil(packing.chargeable_kg / capacity))
    _, co2, _ = freight(PARCELS, km, load)
    factor = VAN_KG_CO2E_PER_TKM if packing.kind == PARCEL else HGV_KG_CO2E_PER_TKM
    assert co2 == pytest.approx(packing.chargeable_kg * km * factor, abs=0.5)


@given(
    km=st.floats(min_value=0, max_value=3000),
    shortest=st.integers(min_value=60, max_value=24 * 60),
)
def test_a_leg_takes_the_carriers_shortest_leg_or_the_drive_whichever_is_longer(km, shortest):
    """A direct courier (an urgent re-plan's) is bound by its shortest leg and its speed,
    never by the day every other leg takes at least."""
    courier = CarrierSpec("c", 1500, 80, 600.0, 250.0, min_leg_minutes=shortest)
    minutes, cost, _ = carrier_leg(courier, km)
    assert minutes == max(shortest, math.ceil(km / 600 * 24 * 60))
    assert cost == carrier_leg(CarrierSpec("v", 1500, 80, 600.0, 250.0), km)[1]


def test_a_near_leg_by_courier_takes_hours_and_by_the_usual_service_a_day():
    courier = CarrierSpec("c", 1500, 80, 600.0, 250.0, min_leg_minutes=4 * 60)
    assert carrier_leg(courier, 50)[0] == 4 * 60
    assert carrier_leg(courier, 250)[0] == 600  # 250 km at 600 km a day
    assert carrier_leg(CarrierSpec("v", 1500, 80, 600.0, 250.0), 250)[0] == 24 * 60
