"""Parsing in a child process: a bomb hits the memory limit, a slow file the time limit.

Each job runs in a fresh child of a warm parent; what one job does never reaches the next.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.designs.geometry import (
    DesignFileError,
    Limits,
    analyze_path,
    analyze_path_isolated,
    pool,
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
    # 42,000 triangles take about 0.2 s in a warm child: twenty times the limit.
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(MESHES / "ADIS16480.STL", limits=Limits(max_seconds=0.01))
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


# -- the warm pool ------------------------------------------------------------------------------
CUBE = MESHES / "20mm-xyz-cube.stl"
SLOW = MESHES / "ADIS16480.STL"


def _warm_parent() -> int:
    """The pid of the one idle warm parent after a job, starting it if needed."""
    analyze_path_isolated(CUBE, processes=None)
    (parent,) = pool.idle_parents()
    return parent


def _address_space_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    raise AssertionError("no address space line")


@pytest.fixture
def one_parent():
    """One warm parent for the test, and none left behind for the next."""
    pool.shutdown()
    parent = _warm_parent()
    yield parent
    pool.shutdown()


def test_jobs_run_in_fresh_children_of_the_same_warm_parent(one_parent):
    first = analyze_path_isolated(CUBE, processes=None)
    second = analyze_path_isolated(CUBE, processes=None)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert pool.idle_parents() == [one_parent]


def test_a_bomb_kills_its_child_and_leaves_the_parent_warm_and_unlimited(one_parent, tmp_path):
    bomb = tmp_path / "bomb.3mf"
    vertex_bomb(bomb)
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(bomb, limits=PERMISSIVE, processes=None)
    assert caught.value.code == codes.OUT_OF_MEMORY
    assert analyze_path_isolated(CUBE, processes=None)["triangles"] == 260
    assert pool.idle_parents() == [one_parent]
    assert _address_space_limit(one_parent) == "unlimited"


def test_a_timeout_kills_its_child_and_leaves_the_parent_warm(one_parent):
    with pytest.raises(DesignFileError) as caught:
        analyze_path_isolated(SLOW, limits=Limits(max_seconds=0.01), processes=None)
    assert caught.value.code == codes.TIMEOUT
    assert analyze_path_isolated(CUBE, processes=None)["triangles"] == 260
    assert pool.idle_parents() == [one_parent]


def test_a_parent_that_died_is_replaced_by_a_fresh_one(one_parent):
    os.kill(one_parent, signal.SIGKILL)
    assert analyze_path_isolated(CUBE, processes=None)["triangles"] == 260
    (replacement,) = pool.idle_parents()
    assert replacement != one_parent


def test_jobs_at_the_same_time_each_get_a_parent(one_parent):
    results: list[dict] = []
    threads = [
        threading.Thread(target=lambda: results.append(analyze_path_isolated(CUBE)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r["triangles"] for r in results] == [260, 260]
    assert one_parent in pool.idle_parents()
    assert len(pool.idle_parents()) <= pool.MAX_IDLE


# One kind of job each: its file, its limits and what it must answer whatever ran before.
def _garbage(tmp: Path) -> Path:
    path = tmp / "garbage.stl"
    path.write_bytes(b"solid nothing\n" + random.Random(7).randbytes(300))
    return path


def _bomb(tmp: Path) -> Path:
    path = tmp / "bomb.3mf"
    vertex_bomb(path)
    return path


ANY_ERROR, OTHER_RESULT = "any error the customer can read", "a result that is not the cube's"
JOBS = {
    "cube": (lambda tmp: CUBE, Limits(), None),
    "empty": (lambda tmp: MESHES / "stl_empty_bin.stl", Limits(), codes.NO_TRIANGLES),
    "garbage": (_garbage, Limits(), ANY_ERROR),
    "bomb": (_bomb, PERMISSIVE, codes.OUT_OF_MEMORY),
    "slow": (lambda tmp: SLOW, Limits(max_seconds=0.01), codes.TIMEOUT),
}


def _answer(path: Path, limits: Limits) -> str | None:
    """None for a result with the cube's triangles, else the error code."""
    try:
        result = analyze_path_isolated(path, limits=limits, processes=None)
    except DesignFileError as error:
        return error.code
    return None if result["triangles"] == 260 else OTHER_RESULT


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(sorted(JOBS)), min_size=1, max_size=5))
def test_any_sequence_of_jobs_gets_each_its_own_answer_from_one_parent(
    one_parent, tmp_path, sequence
):
    for kind in sequence:
        make, limits, expected = JOBS[kind]
        answer = _answer(make(tmp_path), limits)
        if expected == ANY_ERROR:
            assert answer not in (None, OTHER_RESULT, codes.WORKER_FAILED), (kind, answer)
        else:
            assert answer == expected, (kind, answer)
    assert pool.idle_parents() == [one_parent]
