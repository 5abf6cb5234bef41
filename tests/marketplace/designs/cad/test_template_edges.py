"""Parameters at the edges of what the checks allow still build the part they promise.

The checks are the only gate before the kernel: a combination they pass but the kernel cannot
build is a server error for the customer, and one the kernel builds differently (a hole
breaking out of the side) is a part with the wrong volume and price.
"""

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


@pytest.mark.parametrize(
    ("raw", "parameter"),
    [
        # a fillet of exactly half the width leaves no straight edge: the kernel cannot build it
        ({"corner_radius": 25, "width": 50}, "corner_radius"),
        ({"corner_radius": 50, "length": 100, "width": 100, "holes_x": 0}, "corner_radius"),
        # a single hole sits in the middle whatever the margin: it must fit the plate itself
        ({"holes_x": 1, "holes_y": 1, "hole_diameter": 60, "edge_margin": 31}, "hole_diameter"),
        (
            {"length": 10, "width": 100, "holes_x": 1, "holes_y": 2, "hole_diameter": 12},
            "hole_diameter",
        ),
    ],
)
def test_a_plate_the_kernel_cannot_make_as_promised_is_refused_naming_the_parameter(raw, parameter):
    with pytest.raises(TemplateError) as refused:
        template_get("plate").validate(raw)
    assert parameter in refused.value.errors


def _edge_values(template):
    """Whole bounds, their ends, and one parameter set to another's half or whole value:
    where the checks' comparisons are decided."""

    def value(param):
        if param.integer:
            return st.integers(int(param.minimum), int(param.maximum)).map(float)
        return st.one_of(
            st.sampled_from([param.minimum, param.maximum, param.default]),
            st.floats(param.minimum, param.maximum).map(lambda x: round(x, 2)),
        )

    lengths = [p for p in template.params if p.unit == "mm"]

    @st.composite
    def values(draw):
        raw = draw(st.fixed_dictionaries({p.name: value(p) for p in template.params}))
        if len(lengths) > 1 and draw(st.booleans()):
            target, source = draw(st.permutations(lengths))[:2]
            share = draw(st.sampled_from([0.5, 1.0]))
            candidate = raw[source.name] * share
            if target.minimum <= candidate <= target.maximum:
                raw[target.name] = candidate
        return raw

    return values()


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_accepted_combination_builds_one_valid_part_of_its_closed_form_volume(key):
    template = TEMPLATES[key]

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(raw=_edge_values(template))
    def check(raw):
        try:
            values = template.validate(raw)
        except TemplateError:
            assume(False)
        facts = brep.facts(template.build(values))
        assert facts.valid
        assert facts.solids == template.solids
        assert math.isclose(facts.volume_mm3, template.volume_mm3(values), rel_tol=1e-3)

    check()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(10**300, 10**500)  # JSON allows them; no float holds the larger ones
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_json_value_is_a_number_in_bounds_or_refused_naming_its_parameter(key, data):
    template = TEMPLATES[key]
    param = data.draw(st.sampled_from(template.params))
    value = data.draw(JSON_VALUES)
    refused = None
    try:
        values = template.validate({param.name: value})
    except TemplateError as error:
        refused = error
    if refused is None:
        assert param.minimum <= values[param.name] <= param.maximum
    else:
        assert refused.errors
        assert all(isinstance(text, str) and text for text in refused.errors.values())


def test_an_integer_too_large_for_a_float_is_refused_naming_its_parameter():
    with pytest.raises(TemplateError) as refused:
        template_get("plate").validate({"length": 10**400})
    assert "Length must be a finite number" in refused.value.errors["length"]


def test_the_not_sheet_message_reads_right_for_every_template():
    sheet = next(p for p in REFERENCE_PROCESS_LIMITS if p.sheet)
    enclosure = template_get("enclosure")
    found = {f.code: f.message for f in enclosure.findings(enclosure.defaults, [sheet])}
    assert found["not_sheet"].startswith("An enclosure with lid is not made from sheet")
    spacer = template_get("spacer")
    found = {f.code: f.message for f in spacer.findings(spacer.defaults, [sheet])}
    assert found["not_sheet"].startswith("A round spacer is not made from sheet")
