"""What kind of shape a part is, for processes that take only one kind: sheets and turned parts.

Laser cutting and sheet bending start from sheet stock, so they can only make parts of one
constant thickness; a lathe can only make parts of revolution. Both tests read the surface
only (no Django, no CAD kernel):

- Sheet: rays cast inward from the surface find one wall thickness `t` almost everywhere, and
  the volume is what a sheet of that thickness with this surface would hold, V ~ (A / 2) * t
  (the two faces of a sheet make up nearly all of its area). A solid cube has a constant ray
  thickness too (its width), but holds a third of what a 20 mm sheet of its area would.
- Revolution: about a candidate axis (the bounding-box axes and the principal axes through
  the surface centroid) no face normal turns around the axis; a cube's sides do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .measure import Surface
from .thickness import sample_thickness

SHEET_MAX_THICKNESS_MM = 25.0  # mm; thicker plate is machined, not cut from sheet
SHEET_RAYS = 512
SHEET_CONSTANT_SHARE = 0.7  # share of the surface whose thickness is within tolerance of t
SHEET_THICKNESS_TOLERANCE = 0.15  # relative
SHEET_VOLUME_RATIO = (0.7, 1.1)  # V / (A/2 * t) for a sheet (edges and holes lower it)
SHEET_MIN_SPAN = 5.0  # the two larger extents are at least this many thicknesses

REVOLUTION_MAX_TWIST = 0.15  # sine of the angle a normal may turn around the axis (~9 deg)
REVOLUTION_MIN_ACROSS = 0.3  # faces whose normal is this close to the axis say nothing
REVOLUTION_MIN_AREA_SHARE = 0.002  # the faces that do say something are at least this share
REVOLUTION_SHARE = 0.9  # share of those faces (by area) whose normals do not turn around it


@dataclass(frozen=True)
class Shape:
    """The part's sheet thickness (None: not a sheet) and its axis of revolution (None: none)."""

    sheet_thickness_mm: float | None
    revolution_axis: tuple[float, float, float] | None
    revolution_share: float  # best share of faces whose normals do not turn about an axis

    @property
    def is_sheet(self) -> bool:
        return self.sheet_thickness_mm is not None

    @property
    def is_revolved(self) -> bool:
        return self.revolution_axis is not None

    def to_dict(self) -> dict:
        axis = self.revolution_axis
        thickness = self.sheet_thickness_mm
        return {
            "sheet_thickness_mm": None if thickness is None else round(thickness, 3),
            "revolution_axis": None if axis is None else [round(v, 4) for v in axis],
        }


def classify(
    s: Surface, *, extents: tuple[float, float, float], watertight: bool, seed: int = 0
) -> Shape:
    """Both tests on one surface; an open surface is neither (its volume means nothing)."""
    if not watertight or s.areas.sum() <= 0:
        return Shape(None, None, 0.0)
    axis, share = revolution_axis(s)
    return Shape(sheet_thickness(s, extents=extents, seed=seed), axis, share)


def sheet_thickness(
    s: Surface, *, extents: tuple[float, float, float], seed: int = 0
) -> float | None:
    """The constant wall thickness of a sheet part, or None when the part is not a sheet."""
    area = float(s.areas.sum())
    volume = abs(s.volume_mm3)
    if area <= 0 or volume <= 0:
        return None
    outward = -s.normals if s.volume_mm3 < 0 else s.normals
    sample = sample_thickness(
        s.triangles,
        outward,
        s.areas,
        rays=SHEET_RAYS,
        cap_mm=SHEET_MAX_THICKNESS_MM * 1.5,
        seed=seed,
        face_lo=s.face_lo,
        face_hi=s.face_hi,
    )
    finite = sample.thickness_mm[np.isfinite(sample.thickness_mm)]
    if len(finite) < SHEET_RAYS // 2:
        return None
    t = float(np.median(finite))
    if not 0 < t <= SHEET_MAX_THICKNESS_MM:
        return None
    near = np.abs(sample.thickness_mm - t) <= _sheet_tolerance_mm(t)
    if float(np.mean(near)) < SHEET_CONSTANT_SHARE:
        return None
    low, high = SHEET_VOLUME_RATIO
    if not low <= volume / (area / 2 * t) <= high:
        return None
    if sorted(extents)[1] < SHEET_MIN_SPAN * t:
        return None
    return t


def _sheet_tolerance_mm(t: float) -> float:
    """How far a ray may read from the sheet thickness and still count as that thickness."""
    return max(SHEET_THICKNESS_TOLERANCE * t, 0.05)


def revolution_axis(s: Surface) -> tuple[tuple[float, float, float] | None, float]:
    """The axis the part is a body of revolution about (None if none), and the best share.

    On a surface of revolution every normal lies in the plane through the axis: it has no
    component around the axis. Faces square to the axis (end faces, a plate's sides) say
    nothing either way, so the share is taken over the other faces only.
    """
    total = float(s.areas.sum())
    centroids = s.triangles.mean(axis=1)
    centre = (s.areas @ centroids) / total
    offsets = centroids - centre
    size = float(np.abs(offsets).max()) or 1.0
    second_moment = (offsets * s.areas[:, None]).T @ offsets
    _, vectors = np.linalg.eigh(second_moment)
    candidates = [np.eye(3)[i] for i in range(3)] + [vectors[:, i] for i in range(3)]
    best_axis, best_share = None, 0.0
    for axis in candidates:
        axis = axis / np.linalg.norm(axis)
        around = np.cross(axis, offsets)  # the direction of turning at each face, times r
        radius = np.linalg.norm(around, axis=1)
        across = s.normals - np.outer(s.normals @ axis, axis)  # normal's part off the axis
        across_len = np.linalg.norm(across, axis=1)
        informative = (across_len > REVOLUTION_MIN_ACROSS) & (radius > 1e-6 * size)
        weight = float(s.areas[informative].sum())
        if weight < REVOLUTION_MIN_AREA_SHARE * total:
            continue
        turning = np.abs(np.einsum("ij,ij->i", s.normals, around))[informative] / (
            radius[informative] * across_len[informative]
        )
        share = float(s.areas[informative][turning < REVOLUTION_MAX_TWIST].sum() / weight)
        if share > best_share:
            best_axis, best_share = axis, share
    if best_axis is None or best_share < REVOLUTION_SHARE:
        return None, best_share
    return tuple(float(v) for v in best_axis), best_share  # type: ignore[return-value]
