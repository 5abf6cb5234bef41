"""The design analysis: what the part measures and what is wrong with it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import measure
from .findings import Issue, fmt_dims
from .loading import Design
from .manufacturability import (
    REFERENCE_PROCESSES,
    ManufacturabilityReport,
    Overhangs,
    ProcessCapability,
    assess,
)
from .shape import Shape, classify
from .thickness import ThicknessSample, sample_thickness
from .units import suggest_unit

THICKNESS_RAYS = 2048  # rays cast per analysis: about 2 % error on an area share
THICKNESS_CAP_FACTOR = 3.0  # rays look this many times the largest process minimum wall deep
THICKNESS_CAP_MIN_MM = 2.0  # mm
PARALLEL_FROM = 200_000  # triangles; below this a second thread costs more than it saves


@dataclass(frozen=True)
class ThicknessSummary:
    rays: int
    cap_mm: float  # walls thicker than this read as "thick enough"
    min_mm: float | None  # None when every ray ran past the cap
    p05_mm: float | None  # 5th percentile

    def to_dict(self) -> dict:
        return {
            "rays": self.rays,
            "cap_mm": _r(self.cap_mm),
            "min_mm": None if self.min_mm is None else _r(self.min_mm),
            "p05_mm": None if self.p05_mm is None else _r(self.p05_mm),
        }


@dataclass(frozen=True)
class Analysis:
    """Everything measured on one design, in millimetres."""

    format: str
    unit: str
    unit_source: str
    triangles: int
    vertices: int
    volume_mm3: float  # enclosed volume (absolute; see inverted_normals)
    area_mm2: float
    bbox_mm: tuple[float, float, float]  # extents along x, y, z
    bbox_min_mm: tuple[float, float, float]
    bbox_max_mm: tuple[float, float, float]
    centre_of_mass_mm: tuple[float, float, float]
    convex_hull_volume_mm3: float
    convex_hull_estimated: bool
    watertight: bool
    winding_consistent: bool
    inverted_normals: bool
    shells: int
    open_edges: int
    nonmanifold_edges: int
    degenerate_faces: int
    thickness: ThicknessSummary | None
    manufacturability: ManufacturabilityReport | None
    issues: tuple[Issue, ...]
    seconds: float
    cad: dict | None = None  # B-rep facts of a STEP file: solids, faces, holes (see cad/brep.py)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def issue_codes(self) -> list[str]:
        return [i.code for i in self.issues]

    def to_dict(self) -> dict:
        """The JSON contract of `manage.py analyze_design` (plain floats, lists, strings)."""
        return {
            "format": self.format,
            "unit": self.unit,
            "unit_source": self.unit_source,
            "triangles": self.triangles,
            "vertices": self.vertices,
            "volume_mm3": _r(self.volume_mm3),
            "area_mm2": _r(self.area_mm2),
            "bbox_mm": [_r(x) for x in self.bbox_mm],
            "bbox_min_mm": [_r(x) for x in self.bbox_min_mm],
            "bbox_max_mm": [_r(x) for x in self.bbox_max_mm],
            "centre_of_mass_mm": [_r(x) for x in self.centre_of_mass_mm],
            "convex_hull_volume_mm3": _r(self.convex_hull_volume_mm3),
            "convex_hull_estimated": self.convex_hull_estimated,
            "watertight": self.watertight,
            "winding_consistent": self.winding_consistent,
            "inverted_normals": self.inverted_normals,
            "shells": self.shells,
            "open_edges": self.open_edges,
            "nonmanifold_edges": self.nonmanifold_edges,
            "degenerate_faces": self.degenerate_faces,
            "thickness": self.thickness.to_dict() if self.thickness else None,
            "manufacturability": (
                self.manufacturability.to_dict() if self.manufacturability else None
            ),
            "issues": [i.to_dict() for i in self.issues],
            "seconds": round(self.seconds, 3),
            "cad": self.cad,
        }


def _r(x: float) -> float:
    """Six significant digits: enough for quoting, stable across platforms in JSON."""
    return float(f"{x:.6g}")


def analyze(
    design: Design,
    *,
    processes: Sequence[ProcessCapability] | None = REFERENCE_PROCESSES,
    material: str | None = None,
    thickness_rays: int = THICKNESS_RAYS,
    seed: int = 0,
) -> Analysis:
    """Measure the design and, given processes, judge its manufacturability."""
    started = time.perf_counter()
    mesh = design.mesh
    s = measure.surface(mesh)
    signed_volume = s.volume_mm3
    area = float(s.areas.sum())
    lo = mesh.vertices.min(axis=0)
    hi = mesh.vertices.max(axis=0)
    cad = _exact_from_brep(design.cad)
    if cad is not None:  # the solid's own figures beat its tessellation's
        signed_volume, area = design.cad["volume_mm3"], design.cad["area_mm2"]  # type: ignore[index]
        lo, hi = np.array(design.cad["bbox_min_mm"]), np.array(design.cad["bbox_max_mm"])  # type: ignore[index]
    extents = tuple(float(x) for x in hi - lo)
    thickness, (hull_volume, hull_estimated), topo, body = _measure(
        mesh, s, processes=processes, thickness_rays=thickness_rays, seed=seed
    )
    inverted = topo.watertight and signed_volume < 0
    com = measure.centre_of_mass(s, topo.watertight)

    issues = _geometry_issues(design, extents, topo, body, signed_volume, inverted)

    summary: ThicknessSummary | None = None
    report: ManufacturabilityReport | None = None
    if processes:
        assert thickness is not None
        summary = _summarise(thickness)
        report = _judge(
            processes,
            extents=extents,
            topo=topo,
            inverted=inverted,
            thickness=thickness,
            bodies=body,
            surface=s,
            material=material,
            shape=_shape_if_needed(processes, s, extents, topo.watertight, seed),
        )
        if not report.makeable_by:
            issues.append(_nothing_can_make_it(report, extents))

    return Analysis(
        format=design.format,
        unit=design.unit,
        unit_source=design.unit_source,
        triangles=mesh.triangle_count,
        vertices=len(mesh.vertices),
        volume_mm3=abs(signed_volume),
        area_mm2=area,
        bbox_mm=extents,  # type: ignore[arg-type]
        bbox_min_mm=tuple(float(x) for x in lo),  # type: ignore[arg-type]
        bbox_max_mm=tuple(float(x) for x in hi),  # type: ignore[arg-type]
        centre_of_mass_mm=tuple(float(x) for x in com),  # type: ignore[arg-type]
        convex_hull_volume_mm3=hull_volume,
        convex_hull_estimated=hull_estimated,
        watertight=topo.watertight,
        winding_consistent=topo.winding_consistent,
        inverted_normals=inverted,
        shells=body.count,
        open_edges=topo.open_edges,
        nonmanifold_edges=topo.nonmanifold_edges,
        degenerate_faces=topo.degenerate_faces,
        thickness=summary,
        manufacturability=report,
        issues=tuple(issues),
        seconds=time.perf_counter() - started,
        cad=cad,
    )


def _exact_from_brep(cad: dict | None) -> dict | None:
    """The B-rep facts for the report, without the figures that have their own fields."""
    if cad is None:
        return None
    moved = ("volume_mm3", "area_mm2", "bbox_min_mm", "bbox_max_mm")
    return {key: value for key, value in cad.items() if key not in moved}


def _measure(mesh, s: measure.Surface, *, processes, thickness_rays: int, seed: int):
    """Thickness rays, convex hull, edge topology and bodies of one mesh.

    Topology and bodies (hash tables and graph search, which release the GIL) run on a second
    core while this one casts the thickness rays; small meshes stay on one thread.
    """
    pool = ThreadPoolExecutor(max_workers=1) if mesh.triangle_count >= PARALLEL_FROM else None
    try:
        if pool is not None:
            topo_future = pool.submit(measure.topology, mesh)
            body_future = pool.submit(measure.bodies, mesh, s)
        thickness: ThicknessSample | None = None
        if processes:
            deepest = max(p.min_wall_mm for p in processes)
            cap = max(THICKNESS_CAP_FACTOR * deepest, THICKNESS_CAP_MIN_MM)
            outward = -s.normals if s.volume_mm3 < 0 else s.normals  # rays must go inward
            thickness = sample_thickness(
                s.triangles,
                outward,
                s.areas,
                rays=thickness_rays,
                cap_mm=cap,
                seed=seed,
                face_lo=s.face_lo,
                face_hi=s.face_hi,
            )
        hull = measure.convex_hull_volume(mesh.vertices, seed=seed)
        if pool is not None:
            topo, body = topo_future.result(), body_future.result()
        else:
            topo, body = measure.topology(mesh), measure.bodies(mesh, s)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return thickness, hull, topo, body


def _judge(
    processes: Sequence[ProcessCapability],
    *,
    extents,
    topo,
    inverted: bool,
    thickness: ThicknessSample,
    bodies,
    surface: measure.Surface,
    material: str | None,
    shape: Shape | None = None,
) -> ManufacturabilityReport:
    """Every process's assessment; overhangs are computed once per self-supporting angle."""
    cache: dict[float, Overhangs] = {}
    return ManufacturabilityReport(
        tuple(
            assess(
                p,
                extents=extents,
                watertight=topo.watertight,
                inverted=inverted,
                thickness=thickness,
                bodies=bodies,
                surface=surface,
                material=material,
                overhang_cache=cache,
                shape=shape,
            )
            for p in processes
        )
    )


def _shape_if_needed(
    processes: Sequence[ProcessCapability], s: measure.Surface, extents, watertight: bool, seed: int
) -> Shape | None:
    """Sheet and revolution tests, run only when some process takes one kind of part."""
    if all(p.shape == "any" for p in processes):
        return None
    return classify(s, extents=extents, watertight=watertight, seed=seed)


def _summarise(sample: ThicknessSample) -> ThicknessSummary:
    finite = sample.thickness_mm[np.isfinite(sample.thickness_mm)]
    p05 = None
    if sample.rays:
        p05 = float(np.sort(sample.thickness_mm)[int(0.05 * (sample.rays - 1))])
    return ThicknessSummary(
        rays=sample.rays,
        cap_mm=sample.cap_mm,
        min_mm=float(finite.min()) if len(finite) else None,
        p05_mm=p05 if p05 is not None and np.isfinite(p05) else None,
    )


def _geometry_issues(
    design: Design,
    extents: tuple[float, ...],
    topo: measure.Topology,
    body: measure.Bodies,
    signed_volume: float,
    inverted: bool,
) -> list[Issue]:
    issues: list[Issue] = []
    if not topo.watertight:
        parts = []
        if topo.open_edges:
            parts.append(f"{topo.open_edges:,} open edges")
        if topo.nonmanifold_edges:
            parts.append(f"{topo.nonmanifold_edges:,} edges shared by more than two faces")
        detail = " and ".join(parts) or "no closed surface"
        issues.append(
            Issue(
                "not_watertight",
                "error",
                f"The surface is not closed ({detail}), so its volume and inside are uncertain. "
                "Repair the model (close holes, join surfaces into one solid) and upload again.",
            )
        )
    elif topo.misoriented_edges:
        issues.append(
            Issue(
                "inconsistent_normals",
                "warning",
                f"Some faces are wound the wrong way ({topo.misoriented_edges:,} edges join "
                "faces facing opposite ways); the volume may be wrong.",
            )
        )
    if inverted:
        issues.append(
            Issue(
                "inverted_normals",
                "warning",
                "The surface is turned inside out (normals point inward). We measured it as the "
                "solid it encloses; check your export settings.",
            )
        )
    if topo.watertight and abs(signed_volume) <= 1e-9 * max(max(extents), 1e-9) ** 3:
        issues.append(Issue("no_volume", "error", "The closed surface encloses no volume."))
    if body.count > 1:
        issues.append(
            Issue(
                "multiple_bodies",
                "info",
                f"The file holds {body.count} separate bodies; they will be made as separate "
                "pieces unless they are meant to be one part.",
            )
        )
    if topo.degenerate_faces:
        issues.append(
            Issue(
                "degenerate_faces",
                "info",
                f"{topo.degenerate_faces:,} triangles have collapsed to a line or point; they "
                "are ignored.",
            )
        )
    if max(extents) > 0:
        suggestion = suggest_unit(extents, design.unit)  # type: ignore[arg-type]
        if suggestion is not None:
            issues.append(Issue(f"unit_suggest_{suggestion.unit}", "warning", suggestion.message))
    return issues


def _nothing_can_make_it(report: ManufacturabilityReport, extents: tuple[float, ...]) -> Issue:
    reasons = sorted(
        {f.code for p in report.processes for f in p.findings if f.severity == "error"}
    )
    if reasons == ["too_big"]:
        return Issue(
            "no_process",
            "error",
            f"No machine in the network can make this part: at {fmt_dims(extents)} it is larger "
            "than every build volume on offer.",
        )
    words = {
        "too_big": "too big",
        "not_watertight": "not a closed solid",
        "thin_walls": "walls too thin",
        "too_small": "too small",
        "material_unavailable": "material not offered",
    }
    said = ", ".join(words.get(r, r.replace("_", " ")) for r in reasons)
    return Issue(
        "no_process",
        "error",
        f"No process in the network can make this part as it is ({said}).",
    )


__all__ = ["Analysis", "ThicknessSummary", "analyze"]
