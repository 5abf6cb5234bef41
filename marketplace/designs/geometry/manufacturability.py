"""Which processes can make a part, and why not: envelope, closure, walls, overhangs, details.

Process capabilities come in as plain dataclasses (the Django app builds them from its
catalog), so the same checks run in the web app, the Celery worker and the benchmarks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .findings import Issue, fmt_dims, fmt_mm
from .measure import Bodies, Surface
from .shape import Shape
from .thickness import ThicknessSample

# A wall counts as thin when more than this share of the sampled surface is below the
# process minimum (a few rays always land on sharp edges); an error when most of it is.
THIN_WARNING_FRACTION = 0.005
THIN_ERROR_FRACTION = 0.25
# Overhangs: a warning when even the best of the six axis-aligned orientations leaves
# more than this share of the surface needing support.
OVERHANG_WARNING_FRACTION = 0.10
PLATE_TOLERANCE = 1e-4  # share of the part height treated as resting on the build plate
AXES = ("+z", "-z", "+x", "-x", "+y", "-y")
# The kinds of part a process takes: any shape, sheets of one thickness, parts of revolution.
ANY_SHAPE, SHEET, REVOLVED = "any", "sheet", "revolved"
SHAPES = (ANY_SHAPE, SHEET, REVOLVED)


def shape_for(*, code: str, family: str) -> str:
    """The kind of part a catalog process takes: sheet-metal processes want sheets, lathes
    parts of revolution (named by their code, as the catalog has no field for it)."""
    if family == "sheet":
        return SHEET
    if "turning" in code or "lathe" in code:
        return REVOLVED
    return ANY_SHAPE


@dataclass(frozen=True)
class ProcessCapability:
    """What one manufacturing process in the network can do."""

    code: str
    name: str
    build_envelope_mm: tuple[float, float, float]
    min_wall_mm: float
    min_feature_mm: float
    additive: bool = False  # builds in layers: unsupported overhangs matter
    self_supporting_angle_deg: float = 45.0  # from the horizontal; steeper needs no support
    materials: tuple[str, ...] = ()
    needs_watertight: bool = True
    shape: str = ANY_SHAPE  # one of SHAPES
    powder_bed: bool = False  # the unfused powder holds the part up: overhangs need no support

    @property
    def needs_support(self) -> bool:
        """Layer processes that print in air (FDM, SLA) support overhangs; powder beds do not."""
        return self.additive and not self.powder_bed

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "build_envelope_mm": list(self.build_envelope_mm),
            "min_wall_mm": self.min_wall_mm,
            "min_feature_mm": self.min_feature_mm,
            "additive": self.additive,
            "self_supporting_angle_deg": self.self_supporting_angle_deg,
            "materials": list(self.materials),
            "shape": self.shape,
            "powder_bed": self.powder_bed,
        }


# Typical capabilities, used when no catalog is given (the CLI, benchmarks, demos).
REFERENCE_PROCESSES: tuple[ProcessCapability, ...] = (
    ProcessCapability(
        "fdm", "FDM printing", (250.0, 210.0, 210.0), 0.8, 0.6, True, 45.0, ("PLA", "PETG", "ABS")
    ),
    ProcessCapability(
        "sla", "SLA printing", (145.0, 145.0, 185.0), 0.5, 0.3, True, 30.0, ("Standard resin",)
    ),
    ProcessCapability(
        "sls",
        "SLS printing",
        (340.0, 340.0, 600.0),
        0.7,
        0.5,
        True,
        0.0,
        ("PA12", "PA11"),
        powder_bed=True,
    ),
    ProcessCapability(
        "cnc_milling",
        "CNC milling",
        (1000.0, 500.0, 500.0),
        0.8,
        0.5,
        False,
        0.0,
        ("Aluminium 6061", "Steel 1.4301", "POM"),
    ),
)


@dataclass(frozen=True)
class Overhangs:
    """Share of the surface needing support, per build direction (the axis pointing up)."""

    area_fraction_by_up: dict[str, float] = field(default_factory=dict)

    def best(self) -> tuple[str, float]:
        return min(self.area_fraction_by_up.items(), key=lambda kv: (kv[1], AXES.index(kv[0])))


def overhangs(s: Surface, angle_deg: float) -> Overhangs:
    """Area share facing down more steeply than the angle, for each of the six up axes.

    Faces lying flat on the build plate (at the lowest point) need no support.
    """
    total = float(s.areas.sum())
    if total <= 0:
        return Overhangs(dict.fromkeys(AXES, 0.0))
    threshold = math.cos(math.radians(angle_deg))
    fractions: dict[str, float] = {}
    for axis_index, name in enumerate("xyz"):
        face_lo, face_hi = s.face_lo[:, axis_index], s.face_hi[:, axis_index]
        lowest, highest = float(face_lo.min()), float(face_hi.max())
        tol = PLATE_TOLERANCE * max(highest - lowest, 1e-9)
        component = s.normals[:, axis_index]
        for sign, up in ((1.0, f"+{name}"), (-1.0, f"-{name}")):
            down_dot = -sign * component  # normal . down
            on_plate = face_hi <= lowest + tol if sign > 0 else face_lo >= highest - tol
            mask = (down_dot > threshold) & ~on_plate
            fractions[up] = float(s.areas[mask].sum() / total)
    return Overhangs({axis: fractions[axis] for axis in AXES})


@dataclass(frozen=True)
class ProcessAssessment:
    """One process's verdict on the design."""

    code: str
    name: str
    can_make: bool
    fits: bool
    orientation_mm: tuple[float, float, float] | None  # bbox as it must be placed to fit
    thin_area_fraction: float | None
    overhang_fraction: float | None  # as uploaded (+z up), additive processes only
    best_up_axis: str | None
    findings: tuple[Issue, ...]

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "can_make": self.can_make,
            "fits": self.fits,
            "orientation_mm": list(self.orientation_mm) if self.orientation_mm else None,
            "thin_area_fraction": _round(self.thin_area_fraction),
            "overhang_fraction": _round(self.overhang_fraction),
            "best_up_axis": self.best_up_axis,
            "findings": [f.to_dict() for f in self.findings],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass(frozen=True)
class ManufacturabilityReport:
    processes: tuple[ProcessAssessment, ...]

    @property
    def makeable_by(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.processes if p.can_make)

    def get(self, code: str) -> ProcessAssessment:
        return next(p for p in self.processes if p.code == code)

    def to_dict(self) -> dict:
        return {
            "makeable_by": list(self.makeable_by),
            "processes": [p.to_dict() for p in self.processes],
        }


def fit_orientation(
    extents: Sequence[float], envelope: Sequence[float]
) -> tuple[float, float, float] | None:
    """The first axis-aligned placement (as uploaded first) that fits the envelope."""
    for perm in itertools.permutations(range(3)):
        placed = tuple(float(extents[i]) for i in perm)
        if all(p <= e for p, e in zip(placed, envelope, strict=True)):
            return placed  # type: ignore[return-value]
    return None


def _fit_findings(
    process: ProcessCapability, extents: tuple[float, float, float]
) -> tuple[tuple[float, float, float] | None, list[Issue]]:
    """How the part sits in the build volume (None: in no orientation), and what that means."""
    placed = fit_orientation(extents, process.build_envelope_mm)
    if placed is None:
        return None, [
            Issue(
                "too_big",
                "error",
                f"The part ({fmt_dims(extents)}) does not fit the {process.name} build volume "
                f"({fmt_dims(process.build_envelope_mm)}) in any orientation.",
            )
        ]
    if tuple(placed) != tuple(float(e) for e in extents):
        return placed, [
            Issue(
                "fits_rotated",
                "info",
                f"The part fits the {process.name} build volume only when turned, placed as "
                f"{fmt_dims(placed)}.",
            )
        ]
    return placed, []


def _solid_findings(
    process: ProcessCapability, *, material: str | None, watertight: bool, inverted: bool
) -> list[Issue]:
    """Whether the process takes the material and the surface is a usable solid."""
    findings = []
    if material and process.materials and material not in process.materials:
        findings.append(
            Issue(
                "material_unavailable",
                "error",
                f"{process.name} is not offered in {material} "
                f"(available: {', '.join(process.materials)}).",
            )
        )
    if process.needs_watertight and not watertight:
        findings.append(
            Issue(
                "not_watertight",
                "error",
                f"{process.name} needs a closed solid, and this surface has holes or gaps, so "
                "its inside and outside are ambiguous.",
            )
        )
    if inverted:
        findings.append(
            Issue(
                "inverted_normals",
                "warning",
                "The surface is turned inside out (its normals point inward); we will flip it "
                "before making it, but check the export settings.",
            )
        )
    return findings


def _size_findings(
    process: ProcessCapability, extents: tuple[float, float, float], bodies: Bodies | None
) -> list[Issue]:
    """A part (or loose pieces of it) below the smallest feature the process can make."""
    smallest = min(extents)
    if smallest < process.min_feature_mm:
        return [
            Issue(
                "too_small",
                "error",
                f"The part is only {fmt_mm(smallest)} thick overall, below the "
                f"{fmt_mm(process.min_feature_mm)} that {process.name} can make.",
            )
        ]
    if bodies is not None and bodies.count > 1:
        tiny = int(np.count_nonzero(bodies.extents_mm.max(axis=1) < process.min_feature_mm))
        if tiny:
            return [
                Issue(
                    "tiny_pieces",
                    "warning",
                    f"{tiny} loose piece{'s are' if tiny > 1 else ' is'} smaller than "
                    f"{fmt_mm(process.min_feature_mm)} across and will be lost in "
                    f"{process.name}.",
                )
            ]
    return []


def _thin_wall_findings(
    process: ProcessCapability, thickness: ThicknessSample | None, watertight: bool
) -> tuple[float | None, list[Issue]]:
    """The share of the surface on walls below the process's minimum, and the finding."""
    if thickness is None or not thickness.rays or not watertight:
        return None, []
    thin_fraction = thickness.fraction_below(process.min_wall_mm)
    if thin_fraction <= THIN_WARNING_FRACTION:
        return thin_fraction, []
    thin = thickness.thickness_mm[thickness.thickness_mm < process.min_wall_mm]
    severity = "error" if thin_fraction >= THIN_ERROR_FRACTION else "warning"
    return thin_fraction, [
        Issue(
            "thin_walls",
            severity,
            f"About {thin_fraction:.0%} of the surface is on walls thinner than the "
            f"{fmt_mm(process.min_wall_mm)} minimum for {process.name} (thinnest "
            f"measured {fmt_mm(float(thin.min()))}); they may break or not form.",
        )
    ]


def _overhang_findings(
    process: ProcessCapability, surface: Surface | None, cache: dict[float, Overhangs]
) -> tuple[float | None, str | None, list[Issue]]:
    """For processes that print in air: overhanging share as uploaded, best up axis, finding."""
    if not process.needs_support or surface is None:
        return None, None, []
    angle = process.self_supporting_angle_deg
    if angle not in cache:
        cache[angle] = overhangs(surface, angle)
    over = cache[angle]
    overhang_fraction = over.area_fraction_by_up["+z"]
    best_axis, best_fraction = over.best()
    if overhang_fraction <= 0:
        return overhang_fraction, best_axis, []
    better = (
        f"; with {best_axis} pointing up only {best_fraction:.0%}"
        if best_axis != "+z" and best_fraction < overhang_fraction - 0.01
        else ""
    )
    severity = "warning" if best_fraction > OVERHANG_WARNING_FRACTION else "info"
    return (
        overhang_fraction,
        best_axis,
        [
            Issue(
                "overhangs",
                severity,
                f"About {overhang_fraction:.0%} of the surface overhangs by more than "
                f"{90 - angle:.0f} degrees from vertical as uploaded and needs support in "
                f"{process.name}{better}. Supports leave marks on those faces.",
            )
        ],
    )


def _shape_findings(process: ProcessCapability, shape: Shape | None) -> list[Issue]:
    """A sheet process for a part that is no sheet, a lathe for a part that is not round."""
    if shape is None or process.shape == ANY_SHAPE:
        return []
    if process.shape == SHEET and not shape.is_sheet:
        return [
            Issue(
                "not_sheet",
                "error",
                f"{process.name} makes parts from sheet of one thickness, and this part is not "
                "one: its walls are not of a single constant thickness.",
            )
        ]
    if process.shape == REVOLVED and not shape.is_revolved:
        return [
            Issue(
                "not_revolved",
                "error",
                f"{process.name} makes round parts turned about one axis, and this part is not "
                "round about any axis.",
            )
        ]
    return []


def assess(
    process: ProcessCapability,
    *,
    extents: tuple[float, float, float],
    watertight: bool,
    inverted: bool,
    thickness: ThicknessSample | None,
    bodies: Bodies | None,
    surface: Surface | None,
    material: str | None = None,
    overhang_cache: dict[float, Overhangs] | None = None,
    shape: Shape | None = None,
) -> ProcessAssessment:
    """Run every check for one process; any error-severity finding means it cannot make it."""
    placed, findings = _fit_findings(process, extents)
    findings += _solid_findings(
        process, material=material, watertight=watertight, inverted=inverted
    )
    findings += _size_findings(process, extents, bodies)
    findings += _shape_findings(process, shape)
    thin_fraction, thin_findings = _thin_wall_findings(process, thickness, watertight)
    cache = overhang_cache if overhang_cache is not None else {}
    overhang_fraction, best_axis, overhang_findings = _overhang_findings(process, surface, cache)
    findings += thin_findings + overhang_findings
    return ProcessAssessment(
        code=process.code,
        name=process.name,
        can_make=not any(f.severity == "error" for f in findings),
        fits=placed is not None,
        orientation_mm=placed,
        thin_area_fraction=thin_fraction,
        overhang_fraction=overhang_fraction,
        best_up_axis=best_axis,
        findings=tuple(findings),
    )
