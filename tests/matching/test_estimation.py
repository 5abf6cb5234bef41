"""Estimates: hand-computed minutes and prices, setup once per batch, capability filters,
transport legs."""

from __future__ import annotations

import pytest

from matching.estimation import (
    CarrierSpec,
    Estimate,
    MachineSpec,
    Rejection,
    bend_count,
    carrier_leg,
    estimate,
    estimate_step,
    fits,
    haversine_km,
    no_machine_reason,
    sheet_flat_pattern,
    transport_leg,
)
from matching.planning import LineRequest, MaterialSpec, PartGeometry, PlannedStep, plan_line

AL = MaterialSpec(
    "al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 600, ("cnc-3axis", "cnc-5axis", "cnc-turning")
)
PA12 = MaterialSpec("pa12", "PA12 nylon powder", "powder", 1.01, 6000, ("sls", "mjf"))
BLOCK = PartGeometry(volume_mm3=36_000, area_mm2=9_400, bbox_mm=(50, 40, 30))
MILL = PlannedStep("mill", ("cnc-3axis", "cnc-5axis"), "make", material="al-6061")

# The catalog's Haas VF-2: EUR 60/h, EUR 80 setup, 45 setup minutes, 20 cm3/min in aluminium.
HAAS = MachineSpec(
    id="haas",
    workshop="stuttgart",
    process="cnc-3axis",
    materials=frozenset({"al-6061", "al-7075", "ss-304"}),
    envelope_mm=(762, 406, 508),
    tolerance_mm=0.05,
    hourly_rate_minor=6000,
    setup_cost_minor=8000,
    setup_minutes=45,
    throughput=20,
)
DMG = MachineSpec(
    id="dmg",
    workshop="eindhoven",
    process="cnc-5axis",
    materials=frozenset({"al-6061", "ti-6al4v"}),
    envelope_mm=(650, 520, 475),
    tolerance_mm=0.02,
    hourly_rate_minor=9500,
    setup_cost_minor=15000,
    setup_minutes=90,
    throughput=15,
)

STUTTGART = (48.77580, 9.18290)
EINDHOVEN = (51.44160, 5.46970)
CARRIERS = [
    CarrierSpec("europarcel", 1200, 4500, 800, 180),
    CarrierSpec("rhein", 900, 3800, 600, 240),
    CarrierSpec("alpina", 1000, 4200, 650, 120),
]


def test_aluminium_block_on_a_three_axis_mill_matches_the_hand_computation() -> None:
    # Stock: (50+6) x (40+6) x (30+6) = 92,736 mm3 = 92.736 cm3; removed 92.736 - 36 = 56.736 cm3.
    # Cutting 56.736 / 20 cm3/min = 2.8368 min; finishing 94 cm2 / 10 cm2/min = 9.4 min;
    # handling 2 min: 14.2368 min per part. Minutes = ceil(45 setup + 14.2368) = 60.
    # Cost: setup 8,000 + 6,000/h x 14.2368/60 h = 1,423.68 -> 1,424
    #       + stock 92.736 cm3 x 2.7 g/cm3 = 250.39 g x 0.6 minor/g = 150.23 -> 150 = 9,574.
    # CO2: 7.5 kW x 0.23728 h = 1.7796 kWh x 250 g/kWh = 444.9 -> 445 g.
    est = estimate(MILL, BLOCK, AL, 1, HAAS)
    assert isinstance(est, Estimate)
    assert est.run_minutes == pytest.approx(14.2368)
    assert est.minutes == 60
    assert (est.setup_cost, est.machine_cost, est.material_cost) == (8000, 1424, 150)
    assert est.cost == 9574
    assert est.co2 == 445


def test_setup_is_counted_once_per_batch() -> None:
    # Ten parts: run 142.368 min, minutes = ceil(45 + 142.368) = 188;
    # cost = 8,000 + 14,236.8 -> 14,237 + 1,502.3 -> 1,502 = 23,739.
    one = estimate(MILL, BLOCK, AL, 1, HAAS)
    ten = estimate(MILL, BLOCK, AL, 10, HAAS)
    assert isinstance(one, Estimate)
    assert isinstance(ten, Estimate)
    assert ten.minutes == 188
    assert ten.cost == 23739
    assert ten.setup_cost == one.setup_cost == 8000
    assert ten.cost < 10 * one.cost
    assert ten.cost - ten.setup_cost == pytest.approx(10 * (one.cost - one.setup_cost), abs=5)


def test_harder_material_mills_slower() -> None:
    steel = MaterialSpec("ss-304", "Stainless steel 304", "stainless", 8.0, 500)
    step = PlannedStep("mill", ("cnc-3axis",), "make", material="ss-304")
    al = estimate(MILL, BLOCK, AL, 1, HAAS)
    ss = estimate(step, BLOCK, steel, 1, HAAS)
    assert isinstance(al, Estimate)
    assert isinstance(ss, Estimate)
    assert ss.run_minutes > 3 * (al.run_minutes - 2)


def test_additive_time_and_material() -> None:
    # 36 cm3 x 4 parts on SLS at 150 cm3/h: 144 cm3 / 150 x 60 = 57.6 min + 60 setup -> 118.
    # Powder: 144 cm3 x 1.01 g/cm3 x 1.3 waste = 189.07 g x 6 minor/g = 1,134.4 -> 1,134.
    sls = MachineSpec(
        "eos", "munich", "sls", frozenset({"pa12"}), (340, 340, 600), 0.2, 4500, 6000, 60, 150
    )
    step = PlannedStep("print", ("sls", "mjf"), "make", material="pa12")
    est = estimate(step, BLOCK, PA12, 4, sls)
    assert isinstance(est, Estimate)
    assert est.minutes == 118
    assert est.material_cost == 1134
    assert est.cost == 6000 + 4320 + 1134  # 4,500/h x 0.96 h = 4,320


def test_finishing_is_priced_by_area_and_takes_any_material() -> None:
    # 94 cm2 = 0.94 dm2 per part x 10 = 9.4 dm2 at 200 dm2/h = 2.82 min + 60 setup -> 63.
    line = MachineSpec(
        "tank", "nuremberg", "anodizing", frozenset(), (2000, 800, 1500), 0.01, 4000, 5000, 60, 200
    )
    step = PlannedStep("anodize", ("anodizing",), "finish")
    est = estimate(step, BLOCK, AL, 10, line)
    assert isinstance(est, Estimate)
    assert est.minutes == 63
    assert est.material_cost == 0
    assert est.cost == 5000 + 188  # 4,000/h x 2.82/60 h = 188


def test_part_fits_the_envelope_after_rotation_only() -> None:
    tall = PartGeometry(volume_mm3=1_000_000, area_mm2=200_000, bbox_mm=(30, 700, 480))
    assert fits(tall.bbox_mm, HAAS.envelope_mm)
    assert isinstance(estimate(MILL, tall, AL, 1, HAAS), Estimate)
    too_long = PartGeometry(volume_mm3=1_000_000, area_mm2=200_000, bbox_mm=(30, 800, 480))
    rejected = estimate(MILL, too_long, AL, 1, HAAS)
    assert isinstance(rejected, Rejection)
    assert rejected.check == "envelope"


def test_tolerance_class_filters_machines() -> None:
    plan = plan_line(LineRequest("l1", BLOCK, AL, tolerance="high-precision"))
    step = PlannedStep(
        "mill", ("cnc-3axis", "cnc-5axis"), "make", "al-6061", plan.steps[0].tolerance_mm
    )
    result = estimate_step(step, BLOCK, AL, 1, [HAAS, DMG])
    assert [e.machine for e in result.estimates] == ["dmg"]
    assert [(r.machine, r.check) for r in result.rejections] == [("haas", "tolerance")]


def test_material_filter_and_no_machine_reason() -> None:
    ti = MaterialSpec("ti-6al4v", "Titanium Ti-6Al-4V", "titanium", 4.43, 4500)
    step = PlannedStep("mill", ("cnc-5axis",), "make", material="ti-6al4v")
    big = PartGeometry(volume_mm3=10_000_000, area_mm2=500_000, bbox_mm=(400, 300, 200))
    small_dmg = MachineSpec(**{**DMG.__dict__, "envelope_mm": (350, 300, 300)})
    result = estimate_step(step, big, ti, 1, [HAAS, small_dmg])
    assert result.estimates == ()
    assert no_machine_reason(result, big, ti) == (
        "No machine in the network takes Titanium Ti-6Al-4V at 400 \u00d7 300 \u00d7 200 mm."
    )
    only_haas = estimate_step(step, big, ti, 1, [HAAS])
    assert no_machine_reason(only_haas, big, ti) == (
        "No machine in the network does 5-axis CNC milling."
    )


def test_sheet_estimates_cut_length_and_bends() -> None:
    # 100 x 60 x 40 U channel from 2 mm sheet: flat 14,000 mm2 as a 100:60 rectangle
    # (152.75 x 91.65 mm); bends = (14,000 - 6,000) / (40 x 80) = 2.5 -> 2.
    channel = PartGeometry(volume_mm3=28_000, area_mm2=28_000, bbox_mm=(100, 60, 40))
    length, width, thickness = sheet_flat_pattern(channel)
    assert length * width == pytest.approx(14_000)
    assert thickness == pytest.approx(2.0)
    assert bend_count(channel) == 2
    box = PartGeometry(volume_mm3=2 * 26_000, area_mm2=2 * 26_000, bbox_mm=(100, 100, 40))
    assert bend_count(box) == 4  # (26,000 - 10,000) / (40 x 100) = 4
    laser = MachineSpec(
        "laser",
        "hamburg",
        "laser-cutting",
        frozenset({"al-5052"}),
        (3000, 1500, 25),
        0.1,
        9000,
        4000,
        15,
        3000,
    )
    cut = estimate(
        PlannedStep("cut", ("laser-cutting",), "make", "al-5052"),
        channel,
        MaterialSpec("al-5052", "Aluminium 5052 sheet", "aluminium", 2.68, 500),
        1,
        laser,
    )
    assert isinstance(cut, Estimate)
    # cut length 2 x (152.75 + 91.65) x 1.5 = 733.2 mm at 3,000 mm/min = 0.244 min
    assert cut.run_minutes == pytest.approx(0.2444, abs=1e-3)


def test_stuttgart_to_eindhoven_leg() -> None:
    # Great circle about 397 km (both cities' centres); by road x 1.3 = 516.6 km.
    km = haversine_km(*STUTTGART, *EINDHOVEN)
    assert km == pytest.approx(397.4, abs=1.0)
    leg = transport_leg(STUTTGART, EINDHOVEN, CARRIERS)
    assert leg.km == pytest.approx(516.6, abs=1.5)
    # Rhein Cargo: 900 + 3,800 x 5.166 = 20,530; EuroParcel 24,446; Alpina 22,697.
    assert leg.carrier == "rhein"
    assert leg.cost == pytest.approx(20530, abs=60)
    assert leg.runner_up_carrier == "alpina"
    assert leg.runner_up_cost == pytest.approx(22697, abs=60)
    # 516.6 km at 600 km/day is 0.86 days: the one-day handover minimum applies.
    assert leg.minutes == 24 * 60
    assert leg.co2 == pytest.approx(240 * 516.6, rel=0.005)


def test_long_leg_takes_longer_than_a_day() -> None:
    minutes, cost, co2 = carrier_leg(CARRIERS[0], 2000)
    assert minutes == 2.5 * 24 * 60
    assert cost == 1200 + 90_000
    assert co2 == 360_000
