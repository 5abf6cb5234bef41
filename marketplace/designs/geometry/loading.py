"""Read a validated design into a merged mesh in millimetres, honouring the file's own unit."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass

import numpy as np

from . import errors
from .errors import DesignFileError
from .limits import DEFAULT_LIMITS, Limits
from .mesh import Mesh, mesh_from_arrays, mesh_from_triangles, stl_records
from .threemf import too_many_triangles
from .units import mm_per, normalize_unit
from .validation import OBJ, STEP, STL_ASCII, STL_BINARY, THREEMF, Sniffed, _sniff, _Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Design:
    """A design read and converted to millimetres, ready for analysis."""

    mesh: Mesh
    format: str
    unit: str  # unit the file's numbers were read in
    unit_source: str  # "file" (3MF, STEP) or "user" (chosen at upload)
    size_bytes: int
    # What the B-rep says exactly (STEP only): volume, area, box, solids, faces, holes.
    cad: dict | None = None


def load_design(
    source: str | os.PathLike[str] | bytes,
    *,
    unit: str = "mm",
    limits: Limits = DEFAULT_LIMITS,
) -> Design:
    """Validate, parse and convert to mm. Raises only DesignFileError for a bad file."""
    user_unit = normalize_unit(unit)
    src = _Source(source)
    sniffed = _sniff(src, limits)
    cad: dict | None = None
    try:
        if sniffed.format == STEP:
            mesh, step_unit, cad = _parse_step(src)
            sniffed = Sniffed(STEP, sniffed.size_bytes, None, step_unit)
        else:
            mesh = _parse(src, sniffed)
    except DesignFileError:
        raise
    except MemoryError as exc:
        raise DesignFileError(
            errors.OUT_OF_MEMORY, "The file needs more memory than allowed to read."
        ) from exc
    except Exception as exc:  # parsers raise anything on malformed input
        log.info("design parse failed: %s", exc, exc_info=True)
        raise DesignFileError(
            errors.MALFORMED,
            f"The {_name(sniffed)} file is damaged or malformed and could not be read. "
            "Export it again from your CAD tool.",
        ) from exc
    if mesh.triangle_count == 0:
        raise DesignFileError(
            errors.NO_TRIANGLES,
            f"The {_name(sniffed)} file holds no triangles, so there is no part to make.",
        )
    if mesh.triangle_count > limits.max_triangles:
        raise too_many_triangles(mesh.triangle_count, limits)
    if not np.isfinite(mesh.vertices).all():
        raise DesignFileError(
            errors.INVALID_NUMBERS,
            "The file contains coordinates that are not numbers (NaN or infinity).",
        )
    if sniffed.unit is not None:
        file_unit, unit_source = sniffed.unit, "file"
    else:
        file_unit, unit_source = user_unit, "user"
    if cad is None:  # STEP comes back from the kernel in mm whatever it declares
        mesh = mesh.scaled(mm_per(file_unit))
    _check_range(mesh)
    return Design(mesh, sniffed.format, file_unit, unit_source, src.size, cad)


# Coordinates beyond a kilometre are no part any workshop makes, and squaring them for areas
# and volumes overflows floating point (1e308 is finite; its square is not).
MAX_COORDINATE_MM = 1e6


def _check_range(mesh: Mesh) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        largest = float(np.abs(mesh.vertices).max()) if len(mesh.vertices) else 0.0
    if not np.isfinite(largest) or largest > MAX_COORDINATE_MM:
        raise DesignFileError(
            errors.OUT_OF_RANGE,
            "The file places the part more than a kilometre from its origin, or it is far larger "
            "than anything a workshop can make. Check the unit and the export of your CAD tool.",
        )


def _name(sniffed: Sniffed) -> str:
    from .validation import FORMAT_NAMES

    return FORMAT_NAMES.get(sniffed.format, sniffed.format)


def _parse(src: _Source, sniffed: Sniffed) -> Mesh:
    if sniffed.format == STL_BINARY:
        assert sniffed.triangles is not None
        if src.data is not None:
            raw = np.frombuffer(src.data, dtype=np.uint8)
        else:
            raw = np.fromfile(src.path, dtype=np.uint8)
        records = stl_records(raw, sniffed.triangles)
        corners = records["vertices"]
        if not np.isfinite(corners).all():
            raise DesignFileError(
                errors.INVALID_NUMBERS,
                "The file contains coordinates that are not numbers (NaN or infinity).",
            )
        return mesh_from_triangles(corners)
    file_type = {STL_ASCII: "stl", THREEMF: "3mf", OBJ: "obj"}[sniffed.format]
    return _parse_with_trimesh(src, file_type)


def _parse_with_trimesh(src: _Source, file_type: str) -> Mesh:
    import trimesh

    if src.data is not None:
        handle: io.IOBase = io.BytesIO(src.data)
    else:
        handle = open(src.path, "rb")  # noqa: SIM115 - closed by the with below
    with handle, _quiet():
        loaded = trimesh.load(handle, file_type=file_type, process=False)
    return _mesh_from_loaded(loaded)


def _mesh_from_loaded(loaded) -> Mesh:
    """Flatten a trimesh Scene or Trimesh (transforms applied) into one merged Mesh."""
    import trimesh

    if isinstance(loaded, trimesh.Scene):
        meshes = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
    elif isinstance(loaded, trimesh.Trimesh):
        meshes = [loaded]
    else:
        meshes = []
    meshes = [m for m in meshes if len(m.faces)]
    if not meshes:
        return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))
    vertices, faces = [], []
    offset = 0
    for m in meshes:
        vertices.append(np.asarray(m.vertices, dtype=np.float64))
        faces.append(np.asarray(m.faces, dtype=np.int64) + offset)
        offset += len(m.vertices)
    combined = trimesh.Trimesh(np.vstack(vertices), np.vstack(faces), process=False)
    # trimesh merges within a tolerance: tessellated CAD (3MF, STEP) needs it to be closed.
    combined.merge_vertices()
    return mesh_from_arrays(combined.vertices, combined.faces)


def _parse_step(src: _Source) -> tuple[Mesh, str, dict]:
    """B-rep solids through OpenCASCADE: the tessellation (mm), the declared unit, exact facts."""
    from marketplace.designs.cad.step import read_step

    part = read_step(src.data if src.data is not None else src.path)  # type: ignore[arg-type]
    facts = part.facts
    cad = {
        **facts.to_dict(),
        "volume_mm3": facts.volume_mm3,
        "area_mm2": facts.area_mm2,
        "bbox_min_mm": list(facts.bbox_min_mm),
        "bbox_max_mm": list(facts.bbox_max_mm),
    }
    return mesh_from_triangles(part.corners), part.unit, cad


@contextlib.contextmanager
def _quiet():
    """trimesh logs parse noise at WARNING for bad uploads; that is our error to report."""
    logger = logging.getLogger("trimesh")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
