"""Parts are made in the analysis child under its limits, and by `manage.py make_part`."""

from __future__ import annotations

import json
import math

import pytest
from django.core.management import CommandError, call_command

from marketplace.designs.cad.generate import generate_isolated
from marketplace.designs.cad.step import declared_unit, read_step
from marketplace.designs.cad.templates import TemplateError
from marketplace.designs.geometry import DesignFileError, Limits, analyze_path, pool
from marketplace.designs.geometry import errors as codes

PLATE = ["length=100", "width=50", "thickness=5", "hole_diameter=6", "holes_x=2", "holes_y=2"]
PLATE_VOLUME = 25_000 - 4 * math.pi * 3**2 * 5


def _make_part(*args: str, capsys) -> dict:
    call_command("make_part", *args)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.django_db
def test_make_part_writes_a_step_file_that_reads_back_exactly(tmp_path, capsys):
    out = tmp_path / "plate.step"
    printed = _make_part("plate", *(f"--param={p}" for p in PLATE), f"--out={out}", capsys=capsys)
    assert printed["volume_mm3"] == pytest.approx(PLATE_VOLUME, rel=1e-5)
    assert printed["template"]["parameters"]["hole_diameter"] == 6
    assert declared_unit(out.read_bytes()) == "mm"
    again = analyze_path(out)
    assert again["volume_mm3"] == pytest.approx(PLATE_VOLUME, rel=1e-5)
    assert again["cad"]["holes"] == [{"diameter_mm": 6.0, "count": 4}]


@pytest.mark.django_db
def test_make_part_writes_an_stl_with_the_analyze_design_fields(tmp_path, capsys):
    out = tmp_path / "spacer.stl"
    printed = _make_part("spacer", "--param", "length=20", "--out", str(out), capsys=capsys)
    for field in ("volume_mm3", "area_mm2", "bbox_mm", "triangles", "watertight", "issues"):
        assert field in printed
    stl = analyze_path(out)
    assert stl["triangles"] == printed["triangles"]
    assert stl["watertight"] is True
    assert stl["volume_mm3"] == pytest.approx(printed["volume_mm3"], rel=0.01)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["gearbox", "--out", "x.step"], "No part template 'gearbox'"),
        (["plate", "--param", "hole_diameter=60", "--out", "x.step"], "hole_diameter"),
        (["plate", "--param", "thickness", "--out", "x.step"], "NAME=VALUE"),
        (["plate", "--out", "x.obj"], ".step or .stl"),
        (["plate", "--out", "/no/such/dir/x.step"], "x.step"),
    ],
)
def test_make_part_refuses_clearly(args, said, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=said.replace(".", r"\.")):
        call_command("make_part", *args)


def test_generation_runs_in_a_warm_cad_child_apart_from_upload_parents(tmp_path):
    step, stl = tmp_path / "part.step", tmp_path / "part.stl"
    result = generate_isolated(
        "plate",
        {"length": 100, "width": 50, "thickness": 5, "hole_diameter": 6},
        step_to=step,
        stl_to=stl,
    )
    assert result["volume_mm3"] == pytest.approx(PLATE_VOLUME, rel=1e-5)
    assert read_step(step).facts.volume_mm3 == pytest.approx(PLATE_VOLUME, rel=1e-9)
    assert stl.stat().st_size == 84 + 50 * result["triangles"]
    (cad_parent,) = pool.idle_parents("cad")
    assert cad_parent not in pool.idle_parents("mesh")


def test_bad_parameters_cost_no_child():
    with pytest.raises(TemplateError) as refused:
        generate_isolated("spacer", {"bore_diameter": 12, "outer_diameter": 10})
    assert "bore_diameter" in refused.value.errors


def test_a_part_past_the_time_limit_is_stopped():
    generate_isolated("shaft", {})  # a warm parent first: its start is not the part's time
    with pytest.raises(DesignFileError) as stopped:
        generate_isolated("enclosure", {}, limits=Limits(max_seconds=0.01))
    assert stopped.value.code == codes.TIMEOUT
    assert "part took too long to generate" in stopped.value.message


def test_a_part_past_the_memory_limit_is_stopped():
    generate_isolated("shaft", {})
    with pytest.raises(DesignFileError) as stopped:
        generate_isolated("enclosure", {}, limits=Limits(max_memory_bytes=256 * 1024 * 1024))
    assert stopped.value.code == codes.OUT_OF_MEMORY
