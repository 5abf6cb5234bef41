"""Builders of upload bytes for the geometry tests: STL from meshes or raw triangles, 3MF
packages. Plain functions; the fixtures are in conftest.py."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import trimesh

from marketplace.designs.geometry.mesh import STL_RECORD


def stl_of(mesh: trimesh.Trimesh) -> bytes:
    """Binary STL bytes of a trimesh mesh, as an upload would carry them."""
    return trimesh.exchange.stl.export_stl(mesh)


def raw_stl(triangles: np.ndarray, declared: int | None = None, header: bytes = b"") -> bytes:
    """Binary STL from (n, 3, 3) corners, optionally with a lying triangle count."""
    records = np.zeros(len(triangles), dtype=STL_RECORD)
    records["vertices"] = triangles
    records["normal"] = [0.0, 0.0, 1.0]
    count = len(triangles) if declared is None else declared
    return header[:80].ljust(80, b" ") + np.uint32(count).tobytes() + records.tobytes()


def threemf(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive holding the given members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MODEL_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
    b'<resources><object id="1" type="model"><mesh><vertices>'
)


def cube_3mf(size: float = 10.0, unit: str = "millimeter") -> bytes:
    """A real 3MF package holding one cube, written by trimesh then re-labelled in `unit`."""
    box = trimesh.creation.box(extents=[size] * 3)
    vertices = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in box.vertices)
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in box.faces)
    model = (
        MODEL_HEAD.replace(b"{unit}", unit.encode())
        + vertices.encode()
        + b"</vertices><triangles>"
        + triangles.encode()
        + b'</triangles></mesh></object></resources><build><item objectid="1"/></build></model>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model"'
        b' Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
        b"</Relationships>"
    )
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" '
        b'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'
    )
    return threemf({"[Content_Types].xml": types, "_rels/.rels": rels, "3D/3dmodel.model": model})
