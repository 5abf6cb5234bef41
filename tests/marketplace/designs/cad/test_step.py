"""STEP files read through OpenCASCADE: exact figures, units from the file, a closed mesh."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from marketplace.designs.cad.step import declared_unit, read_step, write_step
from marketplace.designs.geometry import analyze_path
from tests.data import MESHES

STEP_FILES = sorted(p.name for p in MESHES.glob("*.STEP")) + sorted(
    p.name for p in MESHES.glob("*.step")
)


def test_featuretype_step_agrees_with_its_stl_in_inches_and_is_one_solid():
    step = analyze_path(MESHES / "featuretype.STEP")
    stl = analyze_path(MESHES / "featuretype.STL", unit="inch")
    assert step["volume_mm3"] == pytest.approx(stl["volume_mm3"], rel=0.01)
    assert step["bbox_mm"] == pytest.approx(stl["bbox_mm"], rel=0.001)
    assert step["format"] == "step"
    assert (step["unit"], step["unit_source"]) == ("inch", "file")
    assert step["cad"]["solids"] == 1
    assert step["watertight"] is True
    assert step["shells"] == 1


def test_holes_and_planar_faces_reach_the_report():
    cad = analyze_path(MESHES / "featuretype.STEP")["cad"]
    assert cad["planar_faces"] > 0
    diameters = {hole["diameter_mm"] for hole in cad["holes"]}
    assert diameters
    assert all(d > 0 for d in diameters)
    assert cad["smallest_hole_mm"] == min(diameters)
    assert cad["valid"] is True


@pytest.mark.parametrize("name", STEP_FILES)
def test_every_reference_step_file_reads_into_a_closed_mesh(name):
    analysis = analyze_path(MESHES / name)
    assert analysis["volume_mm3"] > 0
    assert analysis["triangles"] > 0
    assert analysis["cad"]["solids"] >= 1
    # The tessellation agrees with the exact solid: the mesh analysis sees the same part.
    part = read_step(MESHES / name)
    assert len(part.corners) == analysis["triangles"]


@pytest.mark.django_db
def test_analyze_design_prints_the_step_analysis(capsys):
    call_command("analyze_design", str(MESHES / "featuretype.STEP"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["cad"]["solids"] == 1
    assert printed["volume_mm3"] == pytest.approx(190532, rel=1e-4)


def test_a_written_step_reads_back_in_millimetres_with_the_same_volume(tmp_path):
    part = read_step(MESHES / "featuretype.STEP")
    out = tmp_path / "again.step"
    write_step(part.shape, out)
    assert declared_unit(out.read_bytes()) == "mm"
    again = read_step(out)
    assert again.facts.volume_mm3 == pytest.approx(part.facts.volume_mm3, rel=1e-6)


@pytest.mark.parametrize(
    ("unit_entity", "expected"),
    [
        (b"( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.MILLI.,.METRE.) )", "mm"),
        (b"( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT($,.METRE.) )", "m"),
        (b"( CONVERSION_BASED_UNIT('INCH',#9) LENGTH_UNIT() NAMED_UNIT(#8) )", "inch"),
    ],
)
def test_the_declared_unit_is_the_one_the_geometric_context_assigns(unit_entity, expected):
    data = (
        b"ISO-10303-21;\nDATA;\n#1 =( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.CENTI.,.METRE.) );\n"
        b"#2 =" + unit_entity + b";\n#3 =( GEOMETRIC_REPRESENTATION_CONTEXT(3) "
        b"GLOBAL_UNIT_ASSIGNED_CONTEXT((#2,#4,#5)) REPRESENTATION_CONTEXT('','') );\nENDSEC;\n"
    )
    assert declared_unit(data) == expected


def test_a_step_upload_is_analysed_in_the_isolated_child_with_its_preview(tmp_path):
    from marketplace.designs.geometry import analyze_path_isolated

    preview = tmp_path / "preview.stl"
    analysis = analyze_path_isolated(MESHES / "featuretype.STEP", preview_to=preview)
    assert analysis["cad"]["solids"] == 1
    assert analysis["volume_mm3"] == pytest.approx(190532, rel=1e-4)
    assert preview.stat().st_size == 84 + 50 * analysis["triangles"]
