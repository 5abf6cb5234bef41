"""Every kind of bad upload gets the one domain error with a specific, readable message."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import trimesh

from marketplace.designs.geometry import DEFAULT_LIMITS, DesignFileError, Limits, load_design, sniff
from marketplace.designs.geometry import errors as codes
from tests.data import MESHES
from tests.marketplace.designs.geometry.builders import (
    MODEL_HEAD,
    cube_3mf,
    raw_stl,
    stl_of,
    threemf,
)


def refused(
    data: bytes | str, limits: Limits = DEFAULT_LIMITS, unit: str = "mm"
) -> DesignFileError:
    with pytest.raises(DesignFileError) as caught:
        load_design(data, unit=unit, limits=limits)
    return caught.value


def test_empty_file_is_refused_as_empty():
    error = refused(b"")
    assert error.code == codes.EMPTY
    assert "empty" in error.message


def test_blank_file_is_refused_as_empty():
    assert refused(b"  \n\n ").code == codes.EMPTY


def test_zero_triangle_stl_from_blender_is_refused():
    error = refused(str(MESHES / "stl_empty_bin.stl"))
    assert error.code == codes.NO_TRIANGLES
    assert "no triangles" in error.message


def test_truncated_binary_stl_says_how_many_triangles_it_holds(cube_stl):
    data = raw_stl(np.random.default_rng(1).random((1200, 3, 3)))
    cut = data[: 84 + 50 * 37 + 20]
    error = refused(cut)
    assert error.code == codes.TRUNCATED
    assert error.message.startswith("The file ends early: it declares 1,200 triangles but holds 37")


def test_stl_header_declaring_fewer_triangles_than_present_is_refused():
    data = raw_stl(np.random.default_rng(2).random((37, 3, 3)), declared=12)
    error = refused(data)
    assert error.code == codes.SIZE_MISMATCH
    assert "declares 12 triangles but holds 37" in error.message


def test_random_bytes_are_not_recognised():
    garbage = np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    error = refused(garbage)
    assert error.code == codes.UNKNOWN_FORMAT
    assert "could not recognise" in error.message


def test_png_renamed_stl_is_named_as_an_image(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    path = tmp_path / "part.stl"
    path.write_bytes(png)
    error = refused(str(path))
    assert error.code == codes.NOT_A_MODEL
    assert "PNG image" in error.message


def test_text_that_is_no_model_is_refused():
    assert refused(b"hello, this is my part\n" * 10).code == codes.UNKNOWN_FORMAT


def test_binary_stl_with_too_many_triangles_is_refused_before_parsing(cube_stl):
    error = refused(cube_stl, Limits(max_triangles=10))
    assert error.code == codes.TOO_MANY_TRIANGLES
    assert "12 triangles" in error.message
    assert "at most 10" in error.message


def test_ascii_stl_facets_are_counted_against_the_limit():
    text = trimesh.exchange.stl.export_stl_ascii(trimesh.creation.box()).encode()
    assert sniff(text).triangles == 12
    assert refused(text, Limits(max_triangles=11)).code == codes.TOO_MANY_TRIANGLES


def test_ascii_stl_cut_mid_facet_is_truncated():
    text = trimesh.exchange.stl.export_stl_ascii(trimesh.creation.box()).encode()
    error = refused(text[: len(text) // 2])
    assert error.code == codes.TRUNCATED


def test_file_over_the_size_limit_is_refused(cube_stl):
    error = refused(cube_stl, Limits(max_file_bytes=100))
    assert error.code == codes.TOO_LARGE
    assert "we accept at most" in error.message


def test_missing_file_is_reported():
    assert refused("/nonexistent/part.stl").code == codes.NOT_FOUND


def test_nan_coordinates_are_refused():
    tri = np.ones((4, 3, 3))
    tri[1, 1, 1] = np.nan
    data = raw_stl(tri)
    # normals are fine, so it sniffs as STL; the NaN is caught on load
    assert refused(data).code == codes.INVALID_NUMBERS


def test_solidworks_binary_stl_starting_with_solid_is_binary():
    header = b"solid part exported by a CAD tool"
    data = raw_stl(trimesh.creation.box().triangles, header=header)
    assert sniff(data).format == "stl_binary"


def test_3mf_zip_bomb_is_refused_by_ratio():
    model = MODEL_HEAD.replace(b"{unit}", b"millimeter") + b" " * 30_000_000
    error = refused(threemf({"3D/3dmodel.model": model}))
    assert error.code == codes.ARCHIVE_RATIO
    assert "zip bomb" in error.message


def test_3mf_expanding_beyond_the_size_limit_is_refused():
    model = MODEL_HEAD.replace(b"{unit}", b"millimeter") + b"<x/>" * 1000
    limits = Limits(max_archive_uncompressed_bytes=1000)
    assert refused(threemf({"3D/3dmodel.model": model}), limits).code == codes.ARCHIVE_TOO_LARGE


def test_3mf_with_too_many_entries_is_refused():
    files = {f"Metadata/{i}.txt": b"x" for i in range(30)}
    files["3D/3dmodel.model"] = cube_3mf()
    error = refused(threemf(files), Limits(max_archive_entries=20))
    assert error.code == codes.ARCHIVE_TOO_MANY_ENTRIES
    assert "31 files" in error.message


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/abs/3dmodel.model", "C:/x.model", "a\\..\\b"]
)
def test_3mf_with_unsafe_member_name_is_refused(name):
    error = refused(threemf({"3D/3dmodel.model": b"<model/>", name: b"x"}))
    assert error.code == codes.ARCHIVE_UNSAFE_PATH


def test_3mf_holding_another_zip_is_refused():
    inner = threemf({"a.txt": b"hello"})
    error = refused(threemf({"3D/3dmodel.model": b"<model/>", "Metadata/extra.bin": inner}))
    assert error.code == codes.ARCHIVE_NESTED


def test_zip_without_a_3d_model_is_not_a_3mf():
    error = refused(threemf({"readme.txt": b"just a zip"}))
    assert error.code == codes.ARCHIVE_NOT_3MF
    assert "not a 3MF" in error.message


def test_corrupt_zip_is_refused():
    data = cube_3mf()
    damaged = data[:40] + bytes(len(data) - 80) + data[-40:]
    assert refused(damaged).code == codes.ARCHIVE_CORRUPT


def test_3mf_triangles_are_counted_by_streaming_before_parsing():
    assert sniff(cube_3mf()).triangles == 12
    error = refused(cube_3mf(), Limits(max_triangles=5))
    assert error.code == codes.TOO_MANY_TRIANGLES


def test_3mf_declaring_xml_entities_is_refused():
    model = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><model>&a;</model>'
    assert refused(threemf({"3D/3dmodel.model": model})).code == codes.UNSAFE_XML


def test_a_damaged_step_file_is_refused_as_malformed():
    data = (MESHES / "featuretype.STEP").read_bytes()
    error = refused(data[: len(data) // 3])
    assert error.code in (codes.MALFORMED, codes.NO_TRIANGLES)
    assert "STEP" in error.message


def test_unknown_unit_is_refused(cube_stl):
    assert refused(cube_stl, unit="furlong").code == codes.UNKNOWN_UNIT


def test_obj_is_sniffed_and_loaded():
    obj = trimesh.exchange.obj.export_obj(trimesh.creation.box(extents=[10, 10, 10])).encode()
    design = load_design(obj)
    assert design.format == "obj"
    assert design.mesh.triangle_count == 12


def test_a_valid_upload_never_raises_anything_but_the_domain_error():
    # Every prefix of a real file either loads or fails with DesignFileError.
    data = stl_of(trimesh.creation.icosphere(subdivisions=1))
    for cut in (1, 10, 83, 84, 85, 133, 134, 500, len(data) - 1):
        with contextlib.suppress(DesignFileError):
            load_design(data[:cut])
