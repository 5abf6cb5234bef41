"""Fixtures of the geometry tests; the byte builders are in builders.py."""

import pytest
import trimesh

from tests.marketplace.designs.geometry.builders import stl_of


@pytest.fixture
def cube_stl() -> bytes:
    return stl_of(trimesh.creation.box(extents=[10, 10, 10]))
