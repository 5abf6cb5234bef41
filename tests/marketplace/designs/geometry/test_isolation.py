"""Parsing in a child process: a bomb hits the memory limit, a slow file the time limit."""

from __future__ import annotations

import zipfile

import pytest

from marketplace.designs.geometry import (
    DesignFileError,
    Limits,
    analyze_path,
    analyze_path_isolated,
)
from marketplace.designs.geometry import errors as codes
from tests.data import MESHES

# Archive checks relaxed, so the bomb reaches the parser and only the child's limits stop it.
PERMISSIVE = Limits(
    max_compression_ratio=1e9,
    max_archive_uncompressed_bytes=1 << 40,
    max_memory_bytes=500 << 20,
    max_seconds=60,
)


def vertex_bomb(path, vertices: int = 1_000_000) -> None:
    """A 3MF of about 70 kB whose XML holds a million vertices (28 MB, a 400x ratio)."""
    model = (
        b'<?xml version="1.0"?><model unit="millimeter" xmlns="http://schemas.microsoft.com/'
        b'3dmanufacturing/core/2015/02"><resources><object id="1" type="model"><mesh><vertices>'
        + b'<vertex x="1" y="2" z="3"/>'
        * vertices
        + b'</vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>'
        b'</resources><build><item objectid="1"/></build></model>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", model)


def test_zip_bomb_in_the_child_is_stopped_by_the_memory_limit(tmp_path):
    bomb = tmp_path / "bomb.3mf"
    vertex_bomb(bomb)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(bomb, limits=PERMISSIVE, processes=None)
    assert caught.value.code == codes.OUT_OF_MEMORY
    assert caught.value.message == "The file needs more memory than allowed to read."


def test_zip_bomb_is_refused_before_the_child_with_default_limits(tmp_path):
    bomb = tmp_path / "bomb.3mf"
    vertex_bomb(bomb, vertices=100_000)
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(bomb, processes=None)
    assert caught.value.code == codes.ARCHIVE_RATIO


def test_slow_analysis_is_stopped_by_the_time_limit():
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(MESHES / "20mm-xyz-cube.stl", limits=Limits(max_seconds=0.05))
    assert caught.value.code == codes.TIMEOUT
    assert "took too long" in caught.value.message


def test_isolated_analysis_returns_what_the_in_process_one_does(tmp_path):
    path = MESHES / "20mm-xyz-cube.stl"
    thumbnail, preview = tmp_path / "t.png", tmp_path / "p.stl"
    isolated = analyze_path_isolated(path, thumbnail_to=thumbnail, preview_to=preview)
    local = analyze_path(path)
    isolated.pop("seconds"), local.pop("seconds")
    assert isolated == local
    assert thumbnail.read_bytes().startswith(b"\x89PNG")
    assert preview.stat().st_size == 84 + 50 * 260


def test_bad_file_error_crosses_the_process_boundary(tmp_path):
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(empty)
    assert caught.value.code == codes.EMPTY
