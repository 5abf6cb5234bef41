"""What every parametric template is: typed bounded parameters, geometric sanity, process rules.

A template is code in one place: its parameters (unit, bounds, default, help), the checks that
refuse impossible combinations naming the parameter at fault, the figures the process rules
need (walls, holes, bends, pieces), its closed-form volume, and how to build the solid. The
kernel (`OCP`) is imported only by `build`; everything else is plain arithmetic, so the API can
describe and check templates without paying for OpenCASCADE.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Unit = Literal["mm", "count", "deg"]
Severity = Literal["error", "warning", "info"]


class TemplateError(Exception):
    """Parameters that cannot make a part; `errors` maps each parameter at fault to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        self.message = " ".join(f"{name}: {text}" for name, text in self.errors.items())
        super().__init__(self.message)

    @property
    def parameter(self) -> str:
        return next(iter(self.errors))


@dataclass(frozen=True)
class Param:
    """One parameter: what it means, in which unit, within which bounds."""

    name: str
    label: str
    unit: Unit
    minimum: float
    maximum: float
    default: float
    help: str
    integer: bool = False

    def to_schema(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": "integer" if self.integer else "number",
            "unit": self.unit,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "default": self.default,
            "help": self.help,
        }


@dataclass(frozen=True)
class ProcessLimits:
    """What a process can make, as the template rules need it (all lengths in mm)."""

    code: str
    name: str
    envelope_mm: tuple[float, float, float]
    min_wall_mm: float
    min_hole_mm: float
    sheet: bool = False
    min_bend_radius_factor: float = 1.0  # sheet: inner bend radius at least this x thickness
    max_sheet_thickness_mm: float = 6.0


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on the parameters for one process; `parameter` is the one to change."""

    process: str
    code: str
    severity: Severity
    parameter: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "process": self.process,
            "code": self.code,
            "severity": self.severity,
            "parameter": self.parameter,
            "message": self.message,
        }


Values = dict[str, float]


@dataclass(frozen=True)
class Template:
    """A parametric part. The callables take validated values (every parameter present)."""

    key: str
    name: str
    description: str
    params: tuple[Param, ...]
    check: Callable[[Values], dict[str, str]]  # impossible combinations, by parameter
    volume_mm3: Callable[[Values], float]  # closed form, holes and fillets included
    pieces_mm: Callable[[Values], list[tuple[float, float, float]]]  # each solid's box
    walls_mm: Callable[[Values], dict[str, float]]  # thinnest material, by parameter
    holes_mm: Callable[[Values], dict[str, float]]  # hole diameters, by parameter
    build: Callable[[Values], Any]  # -> TopoDS_Shape, in mm
    # Sheet metal: (thickness parameter, inner bend radius parameter or None); None: not sheet.
    sheet: tuple[str, str | None] | None = None
    solids: int = 1
    # Sheet: the flat blank (length, width, thickness) before bending, for the cutting envelope.
    flat_mm: Callable[[Values], tuple[float, float, float]] | None = None
    defaults: Values = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", {p.name: p.default for p in self.params})

    def schema(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "parameters": [p.to_schema() for p in self.params],
        }

    def validate(self, raw: Mapping[str, Any]) -> Values:
        """Defaults filled in, types and bounds checked, impossible combinations refused.

        Raises TemplateError naming every parameter at fault (unknown names included).
        """
        errors: dict[str, str] = {}
        known = {p.name: p for p in self.params}
        for name in raw:
            if name not in known:
                errors[name] = f"{self.name} has no parameter {name!r}."
        values: Values = {}
        for param in self.params:
            value = raw.get(param.name, param.default)
            number = _number(value, param)
            if isinstance(number, str):
                errors[param.name] = number
                continue
            values[param.name] = number
        if not errors:
            errors.update(self.check(values))
        if errors:
            raise TemplateError(errors)
        return values

    def findings(self, values: Values, processes: list[ProcessLimits]) -> list[Finding]:
        """The process rules: envelope, minimum wall, minimum hole, sheet and bend radius."""
        found: list[Finding] = []
        for process in processes:
            found.extend(_process_findings(self, values, process))
        return found


def _number(value: Any, param: Param) -> float | str:
    """The value as a number within bounds, or the message saying what is wrong."""
    if isinstance(value, bool):
        return f"{param.label} must be a number."
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{param.label} must be a number, not {str(value)[:40]!r}."
    except OverflowError:  # a JSON integer of hundreds of digits: no float holds it
        return f"{param.label} must be a finite number."
    if not math.isfinite(number):
        return f"{param.label} must be a finite number."
    if param.integer:
        if number != int(number):
            return f"{param.label} must be a whole number."
        number = float(int(number))
    unit = "" if param.unit == "count" else f" {param.unit}"
    if number < param.minimum or number > param.maximum:
        return (
            f"{param.label} must be between {param.minimum:g} and {param.maximum:g}{unit} "
            f"(got {number:g})."
        )
    return number


def _fits(box: tuple[float, float, float], envelope: tuple[float, float, float]) -> bool:
    return any(
        all(b <= e for b, e in zip(turned, envelope, strict=True))
        for turned in itertools.permutations(box)
    )


def _process_findings(template: Template, values: Values, process: ProcessLimits):
    code = process.code
    boxes = template.pieces_mm(values)
    if process.sheet and template.flat_mm is not None:
        boxes = [template.flat_mm(values)]  # a sheet shop cuts the blank, then bends it
    for box in boxes:
        if not _fits(box, process.envelope_mm):
            size = " x ".join(f"{b:g}" for b in box)
            envelope = " x ".join(f"{e:g}" for e in process.envelope_mm)
            yield Finding(
                code,
                "too_big",
                "error",
                _largest_dimension(template, values) or template.params[0].name,
                f"{size} mm does not fit the {process.name} envelope of {envelope} mm.",
            )
    if process.sheet:
        if template.sheet is None:
            yield Finding(
                code,
                "not_sheet",
                "error",
                template.params[0].name,
                f"{_article(template.name)} {template.name.lower()} is not made from sheet: "
                "choose another process.",
            )
            return
        thickness_name, bend_name = template.sheet
        thickness = values[thickness_name]
        if thickness > process.max_sheet_thickness_mm:
            yield Finding(
                code,
                "sheet_too_thick",
                "error",
                thickness_name,
                f"{process.name} takes sheet up to {process.max_sheet_thickness_mm:g} mm; "
                f"{thickness:g} mm is thicker.",
            )
        if bend_name is not None:
            least = process.min_bend_radius_factor * thickness
            if values[bend_name] < least:
                yield Finding(
                    code,
                    "bend_radius",
                    "error",
                    bend_name,
                    f"{process.name} needs an inner bend radius of at least "
                    f"{least:g} mm ({process.min_bend_radius_factor:g} x the thickness); "
                    f"{values[bend_name]:g} mm would crack the sheet.",
                )
    for name, wall in template.walls_mm(values).items():
        if wall < process.min_wall_mm:
            yield Finding(
                code,
                "thin_wall",
                "error",
                name,
                f"{_label(template, name)} leaves {wall:.2f} mm of material; {process.name} "
                f"needs at least {process.min_wall_mm:g} mm.",
            )
    for name, diameter in template.holes_mm(values).items():
        if diameter < process.min_hole_mm:
            yield Finding(
                code,
                "small_hole",
                "error",
                name,
                f"A {diameter:g} mm hole is below the {process.min_hole_mm:g} mm "
                f"{process.name} can make.",
            )


def _largest_dimension(template: Template, values: Values) -> str | None:
    lengths = [p for p in template.params if p.unit == "mm"]
    return max(lengths, key=lambda p: values[p.name]).name if lengths else None


def _article(noun: str) -> str:
    return "An" if noun[:1].lower() in "aeiou" else "A"


def _label(template: Template, name: str) -> str:
    return next((p.label for p in template.params if p.name == name), name)


# Typical process limits, used where no network is given (the CLI, tests, the pure core).
REFERENCE_PROCESS_LIMITS: tuple[ProcessLimits, ...] = (
    ProcessLimits("fdm", "FDM printing", (250.0, 210.0, 210.0), 0.8, 1.0),
    ProcessLimits("sls", "SLS printing", (340.0, 340.0, 600.0), 0.7, 0.5),
    ProcessLimits("cnc_milling", "CNC milling", (1000.0, 500.0, 500.0), 0.8, 1.0),
    ProcessLimits(
        "sheet_bending",
        "Sheet bending",
        (3000.0, 1500.0, 1500.0),
        0.5,
        1.0,
        sheet=True,
        min_bend_radius_factor=1.0,
        max_sheet_thickness_mm=6.0,
    ),
)
