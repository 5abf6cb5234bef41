"""Processes agree with the part: sheets for sheet processes, round parts for lathes, no
supports in a powder bed."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.designs.geometry import ProcessCapability, analyze, load_design, measure, shape_for
from marketplace.designs.geometry.samples import bracket, enclosure, gear
from marketplace.designs.geometry.shape import classify
from tests.marketplace.designs.geometry.builders import stl_of

MESHES = Path(__file__).resolve().parents[3] / "data" / "meshes"
ENVELOPE = (1000.0, 1000.0, 1000.0)


def capability(code: str, **kw) -> ProcessCapability:
    defaults = {
        "name": code,
        "build_envelope_mm": ENVELOPE,
        "min_wall_mm": 0.5,
        "min_feature_mm": 0.3,
        "needs_watertight": False,
    }
    defaults.update(kw)
    return ProcessCapability(code=code, **defaults)


LASER = capability("laser-cutting", shape="sheet")
BENDING = capability("sheet-bending", shape="sheet")
TURNING = capability("cnc-turning", shape="revolved")
MILLING = capability("cnc-3axis")
FDM = capability("fdm", additive=True, self_supporting_angle_deg=45.0)
SLS = capability("sls", additive=True, self_supporting_angle_deg=90.0, powder_bed=True)
MJF = capability("mjf", additive=True, self_supporting_angle_deg=90.0, powder_bed=True)
ALL = (LASER, BENDING, TURNING, MILLING, FDM, SLS, MJF)


def makers(data: bytes) -> set[str]:
    result = analyze(load_design(data), processes=ALL)
    assert result.manufacturability is not None
    return set(result.manufacturability.makeable_by)


def shape_of(data: bytes):
    mesh = load_design(data).mesh
    s = measure.surface(mesh)
    extents = tuple(float(x) for x in mesh.vertices.max(axis=0) - mesh.vertices.min(axis=0))
    return classify(s, extents=extents, watertight=measure.topology(mesh).watertight)


def test_a_solid_20_mm_cube_is_neither_cut_nor_bent_nor_turned():
    result = analyze(load_design(stl_of(trimesh.creation.box(extents=[20] * 3))), processes=ALL)
    report = result.manufacturability
    assert set(report.makeable_by) == {"cnc-3axis", "fdm", "sls", "mjf"}
    assert [f.code for f in report.get("laser-cutting").findings] == ["not_sheet"]
    assert [f.code for f in report.get("sheet-bending").findings] == ["not_sheet"]
    assert [f.code for f in report.get("cnc-turning").findings] == ["not_revolved"]
    assert "constant thickness" in report.get("laser-cutting").findings[0].message


def test_a_cylinder_can_be_turned_but_not_cut_from_sheet():
    assert makers(stl_of(trimesh.creation.cylinder(radius=10, height=40, sections=64))) == {
        "cnc-turning",
        "cnc-3axis",
        "fdm",
        "sls",
        "mjf",
    }


def test_a_flat_plate_is_a_sheet_and_not_a_turned_part():
    made = makers(stl_of(trimesh.creation.box(extents=[100, 50, 2])))
    assert {"laser-cutting", "sheet-bending"} <= made
    assert "cnc-turning" not in made


@pytest.mark.parametrize(
    ("data", "sheet_mm"),
    [(bracket(), 4.0), (enclosure(), 2.0)],
    ids=["bent bracket", "folded enclosure"],
)
def test_bent_and_folded_sheet_parts_read_as_sheets_of_their_thickness(data, sheet_mm):
    assert shape_of(data).sheet_thickness_mm == pytest.approx(sheet_mm, rel=0.05)


def test_a_gear_is_neither_a_sheet_nor_round():
    shape = shape_of(gear())
    assert not shape.is_sheet
    assert not shape.is_revolved


@pytest.mark.parametrize(
    ("name", "sheet", "revolved"),
    [
        ("plate_holes.STL", True, False),  # a 12.7 mm plate with holes
        ("1002_tray_bottom.STL", True, False),  # a 1/8 inch tray bottom
        ("20mm-xyz-cube.stl", False, False),
        ("busted.STL", False, False),
        ("featuretype.STL", False, False),
        ("idler_riser.STL", False, False),
    ],
)
def test_real_files_are_told_apart(name, sheet, revolved):
    shape = shape_of((MESHES / name).read_bytes())
    assert shape.is_sheet is sheet
    assert shape.is_revolved is revolved


def test_an_open_surface_is_neither():
    shape = shape_of((MESHES / "teapot.stl").read_bytes())
    assert not shape.is_sheet
    assert not shape.is_revolved


def test_powder_bed_processes_never_ask_for_support_and_fdm_does():
    # An overhanging T: the arms stick out over nothing.
    stem = trimesh.creation.box(extents=[10, 10, 30])
    arms = trimesh.creation.box(extents=[50, 10, 5])
    arms.apply_translation([0, 0, 17.5])
    t_shape = trimesh.util.concatenate([stem, arms])
    result = analyze(load_design(stl_of(t_shape)), processes=(FDM, SLS, MJF))
    report = result.manufacturability
    assert "overhangs" in [f.code for f in report.get("fdm").findings]
    for code in ("sls", "mjf"):
        assert report.get(code).findings == ()
        assert report.get(code).overhang_fraction is None


@pytest.mark.parametrize(
    ("code", "family", "shape"),
    [
        ("laser-cutting", "sheet", "sheet"),
        ("sheet-bending", "sheet", "sheet"),
        ("cnc-turning", "subtractive", "revolved"),
        ("cnc-3axis", "subtractive", "any"),
        ("sls", "additive", "any"),
    ],
)
def test_catalog_processes_take_the_shape_their_family_and_name_say(code, family, shape):
    assert shape_for(code=code, family=family) == shape


@settings(max_examples=25, deadline=None)
@given(
    radius=st.floats(2, 80),
    height=st.floats(1, 200),
    sections=st.integers(32, 128),
)
def test_every_cylinder_is_round(radius, height, sections):
    data = stl_of(trimesh.creation.cylinder(radius=radius, height=height, sections=sections))
    assert shape_of(data).is_revolved


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(5, 300),
    y=st.floats(5, 300),
    z=st.floats(5, 300),
)
def test_no_box_is_round(x, y, z):
    assert not shape_of(stl_of(trimesh.creation.box(extents=[x, y, z]))).is_revolved


@settings(max_examples=25, deadline=None)
@given(
    length=st.floats(40, 400),
    width=st.floats(40, 400),
    thickness=st.floats(0.5, 4),
)
def test_every_plate_is_a_sheet_of_its_thickness(length, width, thickness):
    """Plates at least ten times as wide as they are thick (edges under a fifth of the area)."""
    shape = shape_of(stl_of(trimesh.creation.box(extents=[length, width, thickness])))
    assert shape.sheet_thickness_mm == pytest.approx(thickness, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(side=st.floats(5, 200), stretch=st.floats(1, 3))
def test_no_chunky_block_is_a_sheet(side, stretch):
    box = trimesh.creation.box(extents=[side, side * stretch, side])
    assert not shape_of(stl_of(box)).is_sheet
