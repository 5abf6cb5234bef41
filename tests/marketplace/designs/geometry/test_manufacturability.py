"""Which processes can make a part: envelope, walls, overhangs, closure, small details."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from marketplace.designs.geometry import ProcessCapability, analyze, load_design
from marketplace.designs.geometry.mesh import Mesh, stl_bytes
from marketplace.designs.geometry.samples import enclosure_mesh, extrude_cells
from tests.marketplace.designs.geometry.builders import stl_of


def process(code: str = "fdm", **kw) -> ProcessCapability:
    defaults = {
        "name": code.upper(),
        "build_envelope_mm": (250.0, 250.0, 250.0),
        "min_wall_mm": 0.8,
        "min_feature_mm": 0.5,
        "additive": True,
        "self_supporting_angle_deg": 45.0,
        "materials": ("PLA",),
    }
    defaults.update(kw)
    return ProcessCapability(code=code, **defaults)


def box_stl(x: float, y: float, z: float) -> bytes:
    return stl_of(trimesh.creation.box(extents=[x, y, z]))


def report(data: bytes, *processes: ProcessCapability, **kwargs):
    result = analyze(load_design(data), processes=processes, **kwargs)
    assert result.manufacturability is not None
    return result


def test_400_mm_part_does_not_fit_a_250_mm_printer():
    result = report(box_stl(400, 40, 40), process())
    fdm = result.manufacturability.get("fdm")
    assert not fdm.can_make
    assert not fdm.fits
    assert [f.code for f in fdm.findings] == ["too_big"]
    assert "does not fit" in fdm.findings[0].message
    assert "no_process" in result.issue_codes()


def test_part_too_long_as_uploaded_fits_when_stood_on_end():
    tall = process(build_envelope_mm=(250.0, 250.0, 500.0))
    result = report(box_stl(400, 40, 40), tall)
    fdm = result.manufacturability.get("fdm")
    assert fdm.can_make
    assert fdm.fits
    assert fdm.orientation_mm == (40.0, 40.0, 400.0)
    assert "fits_rotated" in [f.code for f in fdm.findings]


def test_only_processes_whose_envelope_fits_can_make_it():
    small = process("small", build_envelope_mm=(100.0, 100.0, 100.0))
    big = process("big", build_envelope_mm=(500.0, 500.0, 500.0))
    result = report(box_stl(200, 50, 50), small, big)
    assert result.manufacturability.makeable_by == ("big",)


def thin_box() -> bytes:
    return stl_bytes(enclosure_mesh(size=(40.0, 30.0, 20.0), wall=0.4, floor=0.4))


def test_box_with_0_4_mm_walls_is_flagged_for_a_0_8_mm_process():
    result = report(thin_box(), process(min_wall_mm=0.8))
    fdm = result.manufacturability.get("fdm")
    thin = [f for f in fdm.findings if f.code == "thin_walls"]
    assert thin
    assert thin[0].severity == "error"
    assert not fdm.can_make
    assert fdm.thin_area_fraction > 0.5
    assert result.thickness.min_mm == pytest.approx(0.4, abs=0.01)
    assert "0.8 mm" in thin[0].message


def test_box_with_0_4_mm_walls_is_fine_for_a_0_3_mm_process():
    result = report(thin_box(), process(min_wall_mm=0.3, min_feature_mm=0.2))
    fdm = result.manufacturability.get("fdm")
    assert "thin_walls" not in [f.code for f in fdm.findings]
    assert fdm.thin_area_fraction == 0.0


def test_solid_block_has_no_thin_walls():
    result = report(box_stl(30, 30, 30), process(min_wall_mm=2.0))
    assert result.manufacturability.get("fdm").thin_area_fraction == 0.0
    assert result.thickness.min_mm is None  # every ray ran past the cap


def t_shape() -> bytes:
    """A T standing upright: the arms of its bar overhang the air below them."""
    cells = {(0, 2), (1, 2), (2, 2), (1, 1), (1, 0)}
    flat = extrude_cells(cells, tile=10.0, height=10.0)
    # The profile was drawn in x-y; stand it up so y points up (z).
    v = flat.vertices[:, [0, 2, 1]] * [1, -1, 1]
    return stl_bytes(Mesh(v, flat.faces))


def test_t_shape_arms_overhang_when_printed_upright():
    result = report(t_shape(), process())
    assert result.watertight
    assert not result.inverted_normals
    fdm = result.manufacturability.get("fdm")
    over = [f for f in fdm.findings if f.code == "overhangs"]
    assert over, fdm.findings
    # Arm undersides: 2 x (10 x 10) mm2 of the surface.
    assert fdm.overhang_fraction == pytest.approx(200 / result.area_mm2, rel=0.01)
    assert fdm.best_up_axis == "-z"  # upside down, the bar lies on the plate


def test_overhangs_do_not_matter_for_powder_bed_processes():
    result = report(t_shape(), process("sls", additive=False))
    sls = result.manufacturability.get("sls")
    assert sls.overhang_fraction is None
    assert "overhangs" not in [f.code for f in sls.findings]


def test_cube_on_the_plate_has_no_overhang():
    result = report(box_stl(20, 20, 20), process())
    assert result.manufacturability.get("fdm").overhang_fraction == 0.0


def test_part_thinner_than_the_minimum_feature_is_too_small():
    result = report(box_stl(20, 20, 0.2), process(min_feature_mm=0.5))
    codes = [f.code for f in result.manufacturability.get("fdm").findings]
    assert "too_small" in codes


def test_loose_crumbs_smaller_than_the_minimum_feature_are_reported():
    big = trimesh.creation.box(extents=[20, 20, 20])
    crumb = trimesh.creation.box(extents=[0.1, 0.1, 0.1])
    crumb.apply_translation([30, 0, 0])
    result = report(stl_of(trimesh.util.concatenate([big, crumb])), process(min_feature_mm=0.5))
    codes = [f.code for f in result.manufacturability.get("fdm").findings]
    assert "tiny_pieces" in codes


def test_material_not_offered_by_a_process_rules_it_out():
    result = report(box_stl(20, 20, 20), process(materials=("PLA",)), material="Titanium")
    fdm = result.manufacturability.get("fdm")
    assert not fdm.can_make
    assert "material_unavailable" in [f.code for f in fdm.findings]


def test_open_surface_cannot_be_made():
    box = trimesh.creation.box(extents=[20, 20, 20])
    result = report(stl_of(trimesh.Trimesh(box.vertices, box.faces[2:])), process())
    assert "not_watertight" in [f.code for f in result.manufacturability.get("fdm").findings]


def test_every_finding_has_a_severity_and_a_sentence():
    result = report(t_shape(), process(), process("cnc", additive=False, min_wall_mm=20.0))
    for assessment in result.manufacturability.processes:
        for finding in assessment.findings:
            assert finding.severity in ("error", "warning", "info")
            assert finding.message.endswith(".")
            assert len(finding.message) > 30


def test_thickness_rays_are_reproducible():
    data = thin_box()
    first = report(data, process()).thickness
    second = report(data, process()).thickness
    assert first == second
    assert np.isfinite(first.min_mm)
