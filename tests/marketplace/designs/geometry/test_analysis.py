"""Measurements against solids with known answers and the real files' reference figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import trimesh

from marketplace.designs.geometry import analyze, analyze_path, load_design
from marketplace.designs.geometry.mesh import merge_vertices
from tests.data import MESHES
from tests.marketplace.designs.geometry.builders import cube_3mf, stl_of


def analysed(data: bytes, unit: str = "mm", **kwargs):
    return analyze(load_design(data, unit=unit), **kwargs)


def test_ten_millimetre_cube_is_1000_mm3_and_600_mm2(cube_stl):
    result = analysed(cube_stl)
    assert result.volume_mm3 == pytest.approx(1000.0)
    assert result.area_mm2 == pytest.approx(600.0)
    assert result.bbox_mm == pytest.approx((10, 10, 10))
    assert result.triangles == 12
    assert result.watertight
    assert result.winding_consistent
    assert not result.inverted_normals
    assert result.shells == 1
    assert result.centre_of_mass_mm == pytest.approx((0, 0, 0), abs=1e-9)
    assert result.convex_hull_volume_mm3 == pytest.approx(1000.0)
    assert result.issues == ()


def test_sphere_volume_and_area_are_within_one_percent():
    r = 20.0
    result = analysed(stl_of(trimesh.creation.icosphere(subdivisions=5, radius=r)))
    assert result.volume_mm3 == pytest.approx(4 / 3 * math.pi * r**3, rel=0.01)
    assert result.area_mm2 == pytest.approx(4 * math.pi * r**2, rel=0.01)
    assert result.watertight


def test_torus_volume_and_area_are_within_one_percent():
    big, small = 30.0, 8.0
    torus = trimesh.creation.torus(big, small, major_sections=128, minor_sections=64)
    result = analysed(stl_of(torus))
    assert result.volume_mm3 == pytest.approx(2 * math.pi**2 * big * small**2, rel=0.01)
    assert result.area_mm2 == pytest.approx(4 * math.pi**2 * big * small, rel=0.01)
    assert result.watertight
    assert result.shells == 1


def test_part_drawn_in_inches_is_converted_by_25_4_cubed(cube_stl):
    inch = analysed(cube_stl, unit="inch")
    assert inch.volume_mm3 == pytest.approx(1000 * 25.4**3)
    assert inch.area_mm2 == pytest.approx(600 * 25.4**2)
    assert inch.bbox_mm == pytest.approx((254, 254, 254))
    assert inch.unit == "inch"
    assert inch.unit_source == "user"


def test_mesh_with_a_hole_is_not_watertight():
    box = trimesh.creation.box(extents=[10, 10, 10])
    open_box = trimesh.Trimesh(box.vertices, box.faces[1:])
    result = analysed(stl_of(open_box))
    assert not result.watertight
    assert result.open_edges == 3
    assert "not_watertight" in result.issue_codes()
    assert result.manufacturability is not None
    assert result.manufacturability.makeable_by == ()


def test_inside_out_mesh_is_found_and_measured_as_a_solid():
    box = trimesh.creation.box(extents=[10, 10, 10])
    flipped = trimesh.Trimesh(box.vertices, box.faces[:, ::-1])
    result = analysed(stl_of(flipped))
    assert result.inverted_normals
    assert result.volume_mm3 == pytest.approx(1000.0)
    assert "inverted_normals" in result.issue_codes()


def test_two_separate_cubes_are_two_shells():
    a = trimesh.creation.box(extents=[10, 10, 10])
    b = a.copy()
    b.apply_translation([30, 0, 0])
    result = analysed(stl_of(trimesh.util.concatenate([a, b])))
    assert result.shells == 2
    assert result.volume_mm3 == pytest.approx(2000.0)
    assert "multiple_bodies" in result.issue_codes()


def test_convex_hull_of_an_l_shape_exceeds_its_volume():
    a = trimesh.creation.box(extents=[20, 10, 10])
    b = trimesh.creation.box(extents=[10, 10, 10])
    b.apply_translation([-5, 10, 0])
    shape = trimesh.util.concatenate([a, b])
    result = analysed(stl_of(shape))
    assert result.convex_hull_volume_mm3 > result.volume_mm3


def test_3mf_unit_in_the_file_wins_over_the_upload_choice():
    result = analysed(cube_3mf(size=1.0, unit="inch"), unit="mm")
    assert result.unit == "inch"
    assert result.unit_source == "file"
    assert result.volume_mm3 == pytest.approx(25.4**3, rel=1e-6)


def test_merge_joins_vertices_that_differ_below_eight_decimals():
    corners = np.array([[0.0, 0, 0], [1e-10, -0.0, 3e-33], [1.0, 0, 0]])
    vertices, inverse = merge_vertices(corners)
    assert len(vertices) == 2
    assert inverse[0] == inverse[1] != inverse[2]


def test_analysis_matches_trimesh_on_a_random_closed_mesh():
    mesh = trimesh.creation.capsule(height=30, radius=7)
    mesh.apply_translation([3, -4, 12])
    result = analysed(stl_of(mesh))
    assert result.volume_mm3 == pytest.approx(mesh.volume, rel=1e-6)
    assert result.area_mm2 == pytest.approx(mesh.area, rel=1e-6)
    assert result.centre_of_mass_mm == pytest.approx(tuple(mesh.center_mass), abs=1e-4)
    assert result.convex_hull_volume_mm3 == pytest.approx(mesh.convex_hull.volume, rel=1e-6)


# Reference figures from tests/data/meshes/README.md (trimesh, file units), read here in mm.
README = {
    "1002_tray_bottom.STL": (4520, 347865.9, 224414.7, (355.6, 3.17, 355.6), True),
    "20mm-xyz-cube.stl": (260, 7938.7, 2499.0, (20, 20, 20), True),
    "busted.STL": (3878, 526.4, 349.3, (10.68, 11.38, 9.57), True),
    "plate_holes.STL": (1252, 767362.1, 133343.4, (203.2, 304.8, 12.7), True),
    "teapot.stl": (894, 24448.8, 4941.4, (63.17, 39.31, 29.48), False),
    "soup.stl": (100, None, 14.6, (1.0, 1.0, 0.99), False),
    "angle_block.STL": (704, 1.1, 9.4, (1.34, 1.0, 1.35), True),
    "featuretype.STL": (3476, 11.6, 53.8, (5.0, 2.5, 1.38), True),
    "idler_riser.STL": (1572, 1.5, 18.1, (2.66, 2.95, 0.62), True),
    "multibody.stl": (32, None, 0.4, (0.64, 1.09, 0.34), True),
    "octagonal_pocket.stl": (3262, None, 0.1, (0.23, 0.16, 0.02), True),
    "ADIS16480.STL": (7436, None, None, (0.04, 0.01, 0.05), True),
    "counterX.3MF": (8080, 885303.0, 165045.1, (304.8, 304.41, 12.7), True),
    "P_XPM_0331_01.3mf": (6, 166666.7, 22788.8, (100, 100, 100), False),
}


@pytest.mark.parametrize("name", sorted(README))
def test_real_file_matches_the_reference_figures(name):
    faces, volume, area, extents, watertight = README[name]
    result = analyze(load_design(str(MESHES / name)), processes=None)
    assert result.triangles == faces
    if volume is not None:
        assert result.volume_mm3 == pytest.approx(volume, rel=0.002, abs=0.05)
    if area is not None:
        assert result.area_mm2 == pytest.approx(area, rel=0.002, abs=0.05)
    assert result.bbox_mm == pytest.approx(extents, rel=0.02, abs=0.006)
    assert result.watertight is watertight


def test_featuretype_3mf_in_inches_matches_the_stl_read_in_inches():
    from_3mf = analyze(load_design(str(MESHES / "featuretype.3MF")), processes=None)
    from_stl = analyze(load_design(str(MESHES / "featuretype.STL"), unit="inch"), processes=None)
    assert from_3mf.unit == "inch"
    assert from_3mf.unit_source == "file"
    assert from_3mf.bbox_mm == pytest.approx((127.0, 63.5, 34.925), rel=1e-3)
    assert from_3mf.volume_mm3 == pytest.approx(from_stl.volume_mm3, rel=0.002)
    assert from_3mf.volume_mm3 == pytest.approx(11.6 * 25.4**3, rel=0.01)


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("ADIS16480.STL", "m"),
        ("octagonal_pocket.stl", "m"),
        ("angle_block.STL", "inch"),
        ("featuretype.STL", "inch"),
        ("idler_riser.STL", "inch"),
    ],
)
def test_implausible_size_in_mm_suggests_the_likely_unit(name, suggested):
    result = analyze(load_design(str(MESHES / name)), processes=None)
    found = [i for i in result.issues if i.code.startswith("unit_suggest_")]
    assert [i.code for i in found] == [f"unit_suggest_{suggested}"]
    assert found[0].severity == "warning"


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("ADIS16480.STL", "m"),
        ("featuretype.STL", "inch"),
        ("plate_holes.STL", "mm"),
        ("20mm-xyz-cube.stl", "mm"),
        ("busted.STL", "mm"),
        ("teapot.stl", "mm"),
    ],
)
def test_plausible_size_in_the_right_unit_raises_no_unit_warning(name, unit):
    result = analyze(load_design(str(MESHES / name), unit=unit), processes=None)
    assert not [i for i in result.issues if i.code.startswith("unit_suggest_")]


def test_metre_file_read_in_metres_is_a_plausible_imu_housing():
    result = analyze(load_design(str(MESHES / "ADIS16480.STL"), unit="m"), processes=None)
    assert result.bbox_mm == pytest.approx((44, 14, 47), abs=0.5)


def test_analyze_path_prints_the_cli_contract_as_json():
    out = analyze_path(str(MESHES / "20mm-xyz-cube.stl"))
    for key in ("volume_mm3", "area_mm2", "bbox_mm", "triangles", "watertight", "issues"):
        assert key in out
    assert len(out["bbox_mm"]) == 3
    assert json.loads(json.dumps(out)) == out
    assert out["manufacturability"]["makeable_by"]


def test_threaded_analysis_of_big_meshes_gives_the_same_answer(monkeypatch, cube_stl):
    from marketplace.designs.geometry import analysis

    design = load_design(stl_of(trimesh.creation.icosphere(subdivisions=3, radius=5)))
    monkeypatch.setattr(analysis, "PARALLEL_FROM", 10**9)
    serial = analyze(design).to_dict()
    monkeypatch.setattr(analysis, "PARALLEL_FROM", 0)
    threaded = analyze(design).to_dict()
    serial.pop("seconds"), threaded.pop("seconds")
    assert threaded == serial
