"""Routing rules: each material family gets its steps, mismatches are refused in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.planning import (
    RULES,
    LineRequest,
    MaterialSpec,
    PartGeometry,
    plan_line,
    plan_order,
    rules_markdown,
)

ROOT = Path(__file__).resolve().parents[2]

AL = MaterialSpec(
    "al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 600, ("cnc-3axis", "cnc-5axis", "cnc-turning")
)
AL_SHEET = MaterialSpec(
    "al-5052", "Aluminium 5052 sheet", "aluminium", 2.68, 500, ("laser-cutting", "sheet-bending")
)
SS304 = MaterialSpec(
    "ss-304",
    "Stainless steel 304",
    "stainless",
    8.0,
    500,
    ("cnc-3axis", "cnc-5axis", "cnc-turning", "laser-cutting", "sheet-bending"),
)
TI = MaterialSpec(
    "ti-6al4v", "Titanium Ti-6Al-4V", "titanium", 4.43, 4500, ("cnc-5axis", "cnc-turning")
)
PA12 = MaterialSpec("pa12", "PA12 nylon powder", "powder", 1.01, 6000, ("sls", "mjf"))
RESIN = MaterialSpec("standard-resin", "Standard resin", "resin", 1.18, 9000, ("sla",))
PLA = MaterialSpec("pla", "PLA", "thermoplastic", 1.24, 2500, ("fdm",))
POM = MaterialSpec(
    "pom", "POM (acetal)", "engineering_plastic", 1.41, 800, ("cnc-3axis", "cnc-turning")
)

# A 50 x 40 x 30 mm pocketed block: walls 2V/A = 7.7 mm, so not sheet.
BLOCK = PartGeometry(volume_mm3=36_000, area_mm2=9_400, bbox_mm=(50, 40, 30))
# A 100 x 60 x 40 mm U channel bent from 2 mm sheet: flat 100 x (60 + 2 x 40) = 14,000 mm2.
CHANNEL = PartGeometry(volume_mm3=28_000, area_mm2=28_000, bbox_mm=(100, 60, 40))
# A flat 200 x 100 x 2 mm plate.
PLATE = PartGeometry(volume_mm3=40_000, area_mm2=41_200, bbox_mm=(200, 100, 2))
# A 40 mm diameter, 80 mm long shaft: its convex hull fills pi/4 of the bbox.
SHAFT = PartGeometry(
    volume_mm3=95_000, area_mm2=12_500, bbox_mm=(40, 40, 80), convex_hull_volume_mm3=100_000
)


def route(material: MaterialSpec, geometry: PartGeometry = BLOCK, **kw) -> list[tuple[str, tuple]]:
    plan = plan_line(LineRequest("l1", geometry, material, **kw))
    assert plan.feasible, plan.reasons
    return [(s.id, s.processes) for s in plan.steps]


def test_aluminium_block_is_milled_deburred_and_anodized() -> None:
    assert route(AL, finish="anodized") == [
        ("mill", ("cnc-3axis", "cnc-5axis")),
        ("deburr", ("deburring",)),
        ("anodize", ("anodizing",)),
    ]


def test_titanium_is_milled_on_five_axes_only_because_its_catalog_says_so() -> None:
    assert route(TI)[0] == ("mill", ("cnc-5axis",))


def test_precision_mills_on_five_axes_and_adds_cmm_inspection_last() -> None:
    plan = plan_line(LineRequest("l1", BLOCK, AL, finish="anodized", tolerance="precision"))
    assert [s.id for s in plan.steps] == ["mill", "deburr", "anodize", "inspect"]
    mill, inspect = plan.steps[0], plan.steps[-1]
    assert mill.processes == ("cnc-5axis",)
    assert mill.tolerance_mm == pytest.approx(0.05)
    assert mill.material == "al-6061"
    assert inspect.processes == ("cmm-inspection",)
    assert inspect.tolerance_mm == pytest.approx(0.005)  # rule of ten


def test_high_precision_also_inspects_and_standard_does_not() -> None:
    assert route(AL, tolerance="high-precision")[-1] == ("inspect", ("cmm-inspection",))
    assert all(step != "inspect" for step, _ in route(AL))


def test_five_axis_on_request() -> None:
    assert route(AL, five_axis=True)[0] == ("mill", ("cnc-5axis",))


def test_round_part_may_be_turned() -> None:
    assert route(AL, SHAFT)[0] == ("mill", ("cnc-turning", "cnc-3axis", "cnc-5axis"))
    assert route(POM, SHAFT)[0] == ("mill", ("cnc-turning", "cnc-3axis"))


def test_bent_sheet_is_laser_cut_bent_and_powder_coated() -> None:
    assert CHANNEL.shape() == "sheet-bent"
    assert route(AL_SHEET, CHANNEL, finish="powder-coated") == [
        ("cut", ("laser-cutting",)),
        ("bend", ("sheet-bending",)),
        ("coat", ("powder-coating",)),
    ]
    assert route(SS304, CHANNEL)[:2] == [("cut", ("laser-cutting",)), ("bend", ("sheet-bending",))]


def test_flat_sheet_is_only_cut() -> None:
    assert PLATE.shape() == "sheet-flat"
    assert route(AL_SHEET, PLATE) == [("cut", ("laser-cutting",))]


def test_pa12_is_sintered_depowdered_and_dyed_without_blasting_twice() -> None:
    assert route(PA12, finish="dyed-black") == [
        ("print", ("sls", "mjf")),
        ("depowder", ("bead-blasting",)),
        ("dye", ("dyeing",)),
    ]
    assert [s for s, _ in route(PA12, finish="bead-blasted")] == ["print", "depowder"]


def test_resin_prints_by_sla_and_thermoplastics_by_fdm() -> None:
    assert route(RESIN) == [("print", ("sla",))]
    assert route(PLA) == [("print", ("fdm",))]


def test_anodizing_stainless_is_refused_in_words() -> None:
    plan = plan_line(LineRequest("l1", BLOCK, SS304, finish="anodized"))
    assert not plan.feasible
    assert plan.reasons == ("Anodizing needs aluminium; Stainless steel 304 cannot be anodized.",)


def test_other_finish_mismatches_name_the_material() -> None:
    dyed = plan_line(LineRequest("l1", BLOCK, AL, finish="dyed-black"))
    assert dyed.reasons == (
        "Dyeing needs porous sintered nylon (PA12); Aluminium 6061-T6 cannot be dyed.",
    )
    coated = plan_line(LineRequest("l1", BLOCK, TI, finish="powder-coated"))
    assert "Titanium Ti-6Al-4V cannot be powder coated" in coated.reasons[0]
    unknown = plan_line(LineRequest("l1", BLOCK, AL, finish="gold-plated"))
    assert unknown.reasons == ("We do not offer the finish 'gold-plated'.",)


def test_sheet_only_material_is_refused_for_a_solid_part() -> None:
    plan = plan_line(LineRequest("l1", BLOCK, AL_SHEET))
    assert plan.reasons[0].startswith("Aluminium 5052 sheet is sold as sheet only")


def test_a_material_no_process_takes_is_refused() -> None:
    glass = MaterialSpec("glass", "Borosilicate glass", "glass", 2.2, 1000, ())
    plan = plan_line(LineRequest("l1", BLOCK, glass))
    assert plan.reasons == ("No process in the network works Borosilicate glass into this part.",)


def test_bad_quantity_and_tolerance_class_are_refused() -> None:
    plan = plan_line(LineRequest("l1", BLOCK, AL, quantity=0, tolerance="tight"))
    assert plan.reasons[0] == "The quantity must be at least 1."
    assert "Unknown tolerance class 'tight'" in plan.reasons[1]


def test_multi_part_order_adds_one_assembly_step_for_all_parts() -> None:
    order = plan_order(
        [
            LineRequest("a", BLOCK, AL, multi_part=True),
            LineRequest("b", PLATE, AL_SHEET, multi_part=True),
        ]
    )
    assert order.feasible
    assert [(s.id, s.processes) for s in order.assembly] == [("assemble", ("assembly",))]
    assert plan_order([LineRequest("a", BLOCK, AL)]).assembly == ()


def test_geometry_reads_the_analysis_dict() -> None:
    g = PartGeometry.from_analysis(
        {"volume_mm3": 36000.0, "area_mm2": 9400.0, "bbox_mm": [50, 40, 30], "shells": 1}
    )
    assert g.dims == (50, 40, 30)
    assert g.wall_mm == pytest.approx(2 * 36000 / 9400)


def test_docs_show_the_rules_table_the_code_runs() -> None:
    doc = (ROOT / "docs/process-planning.md").read_text(encoding="utf-8")
    assert rules_markdown(RULES) in doc
