"""Every template builds the exact solid its closed form promises, and refuses what cannot be."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from marketplace.designs.cad import brep
from marketplace.designs.cad.templates import (
    REFERENCE_PROCESS_LIMITS,
    TEMPLATES,
    TemplateError,
    template_get,
)
from marketplace.designs.geometry import measure
from marketplace.designs.geometry.mesh import mesh_from_triangles

SHEET = next(p for p in REFERENCE_PROCESS_LIMITS if p.sheet)
FDM = next(p for p in REFERENCE_PROCESS_LIMITS if p.code == "fdm")


def _value(param):
    """Values around the default (a third to three times), inside the bounds."""
    if param.integer:
        return st.integers(int(param.minimum), int(param.maximum))
    low = max(param.minimum, param.default / 3)
    high = min(param.maximum, max(param.default * 3, low))
    return st.floats(low, high, allow_nan=False).map(lambda x: round(x, 2))


def _parameters(template):
    return st.fixed_dictionaries({p.name: _value(p) for p in template.params})


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_generated_solids_match_the_closed_form_and_are_valid_and_closed(key):
    template = TEMPLATES[key]

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(raw=_parameters(template))
    def check(raw):
        try:
            values = template.validate(raw)
        except TemplateError:
            assume(False)
        shape = template.build(values)
        facts = brep.facts(shape)
        assert facts.volume_mm3 == pytest.approx(template.volume_mm3(values), rel=1e-3)
        assert facts.valid
        assert facts.solids == template.solids
        mesh = mesh_from_triangles(brep.tessellate(shape))
        assert measure.topology(mesh).watertight

    check()


def test_the_plate_of_the_issue_has_its_exact_volume():
    plate = template_get("plate")
    values = plate.validate(
        {"length": 100, "width": 50, "thickness": 5, "hole_diameter": 6, "holes_x": 2, "holes_y": 2}
    )
    expected = 25_000 - 4 * math.pi * 3**2 * 5
    assert plate.volume_mm3(values) == pytest.approx(expected, rel=1e-12)
    facts = brep.facts(plate.build(values))
    assert facts.volume_mm3 == pytest.approx(expected, rel=1e-9)
    assert facts.holes_mm == {6.0: 4}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_value_out_of_bounds_is_refused_naming_its_parameter(key, data):
    template = TEMPLATES[key]
    param = data.draw(st.sampled_from(template.params))
    value = data.draw(
        st.one_of(
            st.floats(param.maximum + 1e-6, param.maximum * 10 + 1),
            st.floats(-1e6, param.minimum - 1e-6),
            st.sampled_from([float("nan"), float("inf"), "wide", None, True]),
        )
    )
    with pytest.raises(TemplateError) as refused:
        template.validate({param.name: value})
    assert param.name in refused.value.errors
    assert param.label in refused.value.errors[param.name]


@pytest.mark.parametrize(
    ("key", "raw", "parameter"),
    [
        ("plate", {"edge_margin": 2, "hole_diameter": 6}, "edge_margin"),
        ("plate", {"holes_x": 10, "length": 60, "hole_diameter": 8}, "hole_diameter"),
        ("plate", {"corner_radius": 30, "width": 50}, "corner_radius"),
        ("plate", {"corner_radius": 12, "edge_margin": 4, "hole_diameter": 6}, "corner_radius"),
        ("bracket", {"base_length": 8, "thickness": 5, "bend_radius": 4}, "base_length"),
        ("bracket", {"hole_diameter": 40}, "hole_diameter"),
        ("bracket", {"holes_per_leg": 6, "width": 30, "hole_diameter": 6}, "holes_per_leg"),
        ("spacer", {"bore_diameter": 10, "outer_diameter": 10}, "bore_diameter"),
        ("flange", {"hub_diameter": 130}, "hub_diameter"),
        ("flange", {"bolt_circle_diameter": 115}, "bolt_circle_diameter"),
        ("flange", {"bolt_circle_diameter": 62}, "bolt_circle_diameter"),
        ("flange", {"bolt_count": 24, "bolt_hole_diameter": 14}, "bolt_count"),
        ("enclosure", {"screw_hole_diameter": 8}, "screw_hole_diameter"),
        ("enclosure", {"boss_inset": 2}, "boss_inset"),
        ("enclosure", {"height": 3, "wall": 2.5}, "height"),
        ("shaft", {"unknown": 1}, "unknown"),
    ],
)
def test_impossible_combinations_are_refused_naming_the_parameter(key, raw, parameter):
    with pytest.raises(TemplateError) as refused:
        template_get(key).validate(raw)
    assert parameter in refused.value.errors
    assert refused.value.message


def test_sheet_bending_asks_for_a_bend_radius_of_at_least_the_thickness():
    bracket = template_get("bracket")
    values = bracket.validate({"thickness": 3, "bend_radius": 1})
    found = [f for f in bracket.findings(values, [SHEET]) if f.severity == "error"]
    assert [(f.code, f.parameter) for f in found] == [("bend_radius", "bend_radius")]
    values = bracket.validate({"thickness": 3, "bend_radius": 3})
    assert not [f for f in bracket.findings(values, [SHEET]) if f.severity == "error"]


def test_round_parts_are_not_made_from_sheet():
    for key in ("spacer", "flange", "shaft", "enclosure"):
        template = template_get(key)
        codes = {f.code for f in template.findings(template.defaults, [SHEET])}
        assert "not_sheet" in codes


def test_process_limits_name_the_parameter_to_change():
    enclosure = template_get("enclosure")
    big = enclosure.validate({"length": 400})
    assert ("too_big", "length") in {(f.code, f.parameter) for f in enclosure.findings(big, [FDM])}
    plate = template_get("plate")
    thin = plate.validate({"thickness": 0.6, "hole_diameter": 0.8})
    found = {(f.code, f.parameter) for f in plate.findings(thin, [FDM])}
    assert {("thin_wall", "thickness"), ("small_hole", "hole_diameter")} <= found


def test_every_template_describes_its_parameters():
    for template in TEMPLATES.values():
        schema = template.schema()
        assert schema["parameters"]
        for param in schema["parameters"]:
            assert param["minimum"] <= param["default"] <= param["maximum"]
            assert param["help"]
            assert param["unit"] in ("mm", "count", "deg")
        template.validate({})  # the defaults make a part
