"""Thumbnail and browser preview: headless PNG bytes and a binary STL in millimetres."""

from __future__ import annotations

import trimesh

from marketplace.designs.geometry import load_design, preview_stl, thumbnail_png
from marketplace.designs.geometry.render import decimate
from tests.marketplace.designs.geometry.builders import stl_of


def test_thumbnail_is_a_png_of_the_requested_size():
    mesh = load_design(stl_of(trimesh.creation.icosphere(subdivisions=3))).mesh
    png = thumbnail_png(mesh, size_px=200)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (200, 200)


def test_big_mesh_is_decimated_but_keeps_its_size():
    mesh = load_design(stl_of(trimesh.creation.icosphere(subdivisions=6, radius=10))).mesh
    small = decimate(mesh, 5000)
    assert small.triangle_count <= 5000
    span = small.vertices.max(axis=0) - small.vertices.min(axis=0)
    assert all(abs(s - 20) < 1.0 for s in span)


def test_preview_is_a_binary_stl_in_mm_that_loads_back():
    design = load_design(stl_of(trimesh.creation.box(extents=[1, 2, 3])), unit="inch")
    data = preview_stl(design.mesh)
    back = load_design(data)
    assert back.mesh.triangle_count == 12
    span = back.mesh.vertices.max(axis=0) - back.mesh.vertices.min(axis=0)
    assert list(span.round(3)) == [25.4, 50.8, 76.2]
