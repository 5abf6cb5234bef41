"""Exact measures of OpenCASCADE shapes, their features, and a watertight tessellation.

Volume, area and box come from the B-rep itself (Gauss integration over the exact surfaces),
not from triangles, so a 6 mm hole is a circle and not a polygon. The tessellation serves the
preview and the mesh analysis that every other format gets.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRep import BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Surface
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.GeomAbs import GeomAbs_Cylinder, GeomAbs_Plane
from OCP.GProp import GProp_GProps
from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED, TopAbs_SHELL, TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Shape

HOLE_DIGITS = 2  # hole diameters are grouped to 0.01 mm (CAD exports differ in the last digits)
MIN_DEFLECTION_MM = 0.01
RELATIVE_DEFLECTION = 0.0005  # of the box diagonal: about 0.1 % of volume on curved parts
ANGULAR_DEFLECTION = 0.2  # radians between facet normals on a curved face


@dataclass(frozen=True)
class BrepFacts:
    """What the B-rep says exactly, in millimetres (JSON-ready through `to_dict`)."""

    volume_mm3: float
    area_mm2: float
    bbox_min_mm: tuple[float, float, float]
    bbox_max_mm: tuple[float, float, float]
    solids: int
    shells: int
    faces: int
    planar_faces: int
    cylindrical_faces: int
    holes_mm: dict[float, int] = field(default_factory=dict)  # diameter -> count
    valid: bool = True

    @property
    def bbox_mm(self) -> tuple[float, float, float]:
        return tuple(hi - lo for lo, hi in zip(self.bbox_min_mm, self.bbox_max_mm, strict=True))  # type: ignore[return-value]

    def to_dict(self) -> dict:
        return {
            "solids": self.solids,
            "shells": self.shells,
            "faces": self.faces,
            "planar_faces": self.planar_faces,
            "cylindrical_faces": self.cylindrical_faces,
            "holes": [
                {"diameter_mm": diameter, "count": count}
                for diameter, count in sorted(self.holes_mm.items())
            ],
            "smallest_hole_mm": min(self.holes_mm) if self.holes_mm else None,
            "valid": self.valid,
        }


def _count(shape: TopoDS_Shape, kind) -> int:
    explorer = TopExp_Explorer(shape, kind)
    n = 0
    while explorer.More():
        n += 1
        explorer.Next()
    return n


def _faces(shape: TopoDS_Shape):
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        yield TopoDS.Face(explorer.Current())
        explorer.Next()


def volume_mm3(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return abs(props.Mass())


def is_valid(shape: TopoDS_Shape) -> bool:
    return bool(BRepCheck_Analyzer(shape).IsValid())


def facts(shape: TopoDS_Shape) -> BrepFacts:
    """Exact volume, area, box, solid count, planar faces and cylindrical holes of a shape.

    A hole is a full turn of cylindrical faces on one axis whose material lies outside the
    cylinder (the face normal points at the axis): a boss or a shaft is a cylinder too, and a
    rounded inside corner a quarter turn, but neither is a hole.
    """
    surface = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, surface)
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    lo, hi = box.CornerMin(), box.CornerMax()
    planar = cylindrical = 0
    hollow: dict[tuple, float] = {}  # (axis, diameter) -> angle the inward faces go round
    for face in _faces(shape):
        adaptor = BRepAdaptor_Surface(face)
        kind = adaptor.GetType()
        if kind == GeomAbs_Plane:
            planar += 1
        elif kind == GeomAbs_Cylinder:
            cylindrical += 1
            if _is_hole(face, adaptor):
                key = _axis_key(adaptor)
                span = adaptor.LastUParameter() - adaptor.FirstUParameter()
                hollow[key] = hollow.get(key, 0.0) + span
    holes: Counter[float] = Counter(
        key[-1] for key, angle in hollow.items() if angle >= 2 * math.pi - 1e-6
    )
    return BrepFacts(
        volume_mm3=volume_mm3(shape),
        area_mm2=abs(surface.Mass()),
        bbox_min_mm=(lo.X(), lo.Y(), lo.Z()),
        bbox_max_mm=(hi.X(), hi.Y(), hi.Z()),
        solids=_count(shape, TopAbs_SOLID),
        shells=_count(shape, TopAbs_SHELL),
        faces=_count(shape, TopAbs_FACE),
        planar_faces=planar,
        cylindrical_faces=cylindrical,
        holes_mm=dict(holes),
        valid=is_valid(shape),
    )


def _axis_key(adaptor: BRepAdaptor_Surface) -> tuple:
    """The cylinder's axis (direction and the point nearest the origin) and its diameter."""
    cylinder = adaptor.Cylinder()
    axis = cylinder.Axis()
    d, p = axis.Direction(), axis.Location()
    direction = np.array([d.X(), d.Y(), d.Z()])
    if direction[np.argmax(np.abs(direction))] < 0:
        direction = -direction
    point = np.array([p.X(), p.Y(), p.Z()])
    point = point - point.dot(direction) * direction
    return (
        *np.round(direction, 6).tolist(),
        *np.round(point, 3).tolist(),
        round(2 * cylinder.Radius(), HOLE_DIGITS),
    )


def _is_hole(face, adaptor: BRepAdaptor_Surface) -> bool:
    """The outward normal at the middle of the face points towards the cylinder's axis."""
    u = (adaptor.FirstUParameter() + adaptor.LastUParameter()) / 2
    v = (adaptor.FirstVParameter() + adaptor.LastVParameter()) / 2
    from OCP.gp import gp_Pnt, gp_Vec

    point, du, dv = gp_Pnt(), gp_Vec(), gp_Vec()
    adaptor.D1(u, v, point, du, dv)
    normal = du.Crossed(dv)
    if face.Orientation() == TopAbs_REVERSED:
        normal.Reverse()
    axis = adaptor.Cylinder().Axis()
    origin, direction = axis.Location(), axis.Direction()
    to_point = gp_Vec(origin, point)
    along = gp_Vec(direction).Multiplied(to_point.Dot(gp_Vec(direction)))
    radial = to_point.Subtracted(along)  # from the axis out to the surface
    return normal.Dot(radial) < 0


def tessellate(shape: TopoDS_Shape, *, deflection_mm: float | None = None):
    """(vertices, faces) of a watertight triangulation in mm: faces share their edges' nodes.

    Corners are returned per triangle; the caller merges equal points, which closes the seams
    between B-rep faces.
    """
    box = Bnd_Box()
    BRepBndLib.Add_s(shape, box)
    lo, hi = box.CornerMin(), box.CornerMax()
    diagonal = math.dist((lo.X(), lo.Y(), lo.Z()), (hi.X(), hi.Y(), hi.Z()))
    if deflection_mm is None:
        deflection_mm = max(MIN_DEFLECTION_MM, RELATIVE_DEFLECTION * diagonal)
    BRepMesh_IncrementalMesh(shape, deflection_mm, False, ANGULAR_DEFLECTION, False)
    corners = []
    for face in _faces(shape):
        location = TopLoc_Location()
        triangulation = BRep_Tool.Triangulation_s(face, location)
        if triangulation is None:
            continue
        transform = location.Transformation()
        nodes = np.array(
            [
                _xyz(triangulation.Node(i).Transformed(transform))
                for i in range(1, triangulation.NbNodes() + 1)
            ],
            dtype=np.float64,
        )
        triangles = np.array(
            [triangulation.Triangle(i).Get() for i in range(1, triangulation.NbTriangles() + 1)],
            dtype=np.int64,
        )
        if face.Orientation() == TopAbs_REVERSED:
            triangles = triangles[:, ::-1]
        corners.append(nodes[triangles - 1])
    if not corners:
        return np.zeros((0, 3, 3))
    return np.concatenate(corners)


def _xyz(point) -> tuple[float, float, float]:
    return (point.X(), point.Y(), point.Z())
