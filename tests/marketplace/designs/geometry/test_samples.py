"""Demo parts are closed solids with the volumes their drawings promise."""

from __future__ import annotations

import math

import pytest

from marketplace.designs.geometry import analyze, load_design, samples


def measured(data: bytes):
    return analyze(load_design(data), processes=None)


def test_enclosure_is_a_closed_open_topped_box():
    result = measured(samples.enclosure())
    assert result.watertight
    assert result.winding_consistent
    assert not result.inverted_normals
    assert result.volume_mm3 == pytest.approx(80 * 60 * 35 - 76 * 56 * 33)
    assert result.bbox_mm == pytest.approx((80, 60, 35))


def test_bracket_is_one_closed_bent_plate_with_holes():
    result = measured(samples.bracket())
    assert result.watertight
    assert result.shells == 1
    assert not result.inverted_normals
    flat = (6 * 15) * (2 * 15) * 4 - 4 * math.pi * 3**2 * 4
    assert result.volume_mm3 == pytest.approx(flat, rel=0.01)
    assert result.bbox_mm[2] > 40  # the upright flange stands up


def test_gear_is_closed_with_a_bore():
    result = measured(samples.gear())
    assert result.watertight
    assert not result.inverted_normals
    tip, root, bore = 20.0, 15.5, 4.0
    assert math.pi * (root**2 - bore**2) * 8 < result.volume_mm3 < math.pi * tip**2 * 8
    assert result.bbox_mm[2] == pytest.approx(8.0)


def test_assembly_parts_are_all_closed_solids():
    parts = samples.assembly()
    assert set(parts) == {"base_plate", "bracket", "gear", "shaft", "spacer"}
    for name, data in parts.items():
        result = measured(data)
        assert result.watertight, name
        assert result.volume_mm3 > 100, name
        assert not result.inverted_normals, name
    plate = measured(parts["base_plate"])
    assert plate.volume_mm3 == pytest.approx(120 * 80 * 5 - 4 * math.pi * 5**2 * 5, rel=0.01)
