"""Routing rules: which process steps, in which order, turn an order line into a part.

Pure data in, pure data out; no Django import, so the rules can be tested and shown in
docs/process-planning.md exactly as they run. All rules live in one table, ``RULES``: the
planner walks the stages (make, finish, inspect, assemble) and, per stage, takes the rows
whose conditions match. Machines, times and prices are not decided here (see
``matching.estimation``); this layer only says *what* has to happen and refuses, in words a
customer understands, what cannot happen at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Tolerance classes a customer picks, as the +/- tolerance in mm a shaping machine must hold.
# "standard" means the process's own typical tolerance: no machine filter.
TOLERANCE_CLASSES: dict[str, float | None] = {
    "standard": None,
    "precision": 0.05,  # mm
    "high-precision": 0.02,  # mm
}
# A measuring machine must be this many times finer than the tolerance it checks (rule of ten).
INSPECTION_ACCURACY_RATIO = 10

# Shape thresholds (see PartGeometry.shape and docs/process-planning.md).
SHEET_MAX_WALL_MM = 6.0  # mm; thickest sheet our laser cutters and press brakes work
FLAT_MAX_HEIGHT_WALLS = 1.5  # a sheet part no taller than 1.5 walls (+0.5 mm) is flat
ROUND_SIDE_MATCH = 0.02  # two bbox sides within 2 % may be a diameter
ROUND_HULL_FILL = (0.70, 0.80)  # convex hull / bbox of a cylinder is pi/4 = 0.785

# Process codes as seeded in marketplace/demo/catalog.py: display name and family.
PROCESS_NAMES: dict[str, str] = {
    "fdm": "FDM printing",
    "sla": "SLA printing",
    "sls": "SLS printing",
    "mjf": "Multi Jet Fusion",
    "cnc-3axis": "3-axis CNC milling",
    "cnc-5axis": "5-axis CNC milling",
    "cnc-turning": "CNC turning",
    "laser-cutting": "Laser cutting",
    "sheet-bending": "Sheet bending",
    "deburring": "Deburring",
    "anodizing": "Anodizing",
    "powder-coating": "Powder coating",
    "bead-blasting": "Bead blasting",
    "dyeing": "Dyeing",
    "cmm-inspection": "CMM inspection",
    "assembly": "Assembly and packing",
}
PROCESS_FAMILIES: dict[str, str] = {
    "fdm": "additive",
    "sla": "additive",
    "sls": "additive",
    "mjf": "additive",
    "cnc-3axis": "subtractive",
    "cnc-5axis": "subtractive",
    "cnc-turning": "subtractive",
    "laser-cutting": "sheet",
    "sheet-bending": "sheet",
    "deburring": "finishing",
    "anodizing": "finishing",
    "powder-coating": "finishing",
    "bead-blasting": "finishing",
    "dyeing": "finishing",
    "cmm-inspection": "inspection",
    "assembly": "assembly",
}

# Step ids used by the rules, as named in sentences shown to customers.
STEP_NAMES: dict[str, str] = {
    "mill": "CNC machining",
    "print": "3D printing",
    "cut": "laser cutting",
    "bend": "sheet bending",
    "deburr": "deburring",
    "depowder": "depowdering",
    "anodize": "anodizing",
    "coat": "powder coating",
    "blast": "bead blasting",
    "dye": "dyeing",
    "inspect": "CMM inspection",
    "assemble": "assembly and packing",
}

METALS = frozenset({"aluminium", "steel", "stainless", "titanium", "copper_alloy"})
SHEET_METALS = frozenset({"aluminium", "steel", "stainless"})
MACHINABLE = METALS | {"engineering_plastic"}

STAGES = ("make", "finish", "inspect", "assemble")
SHAPES = ("sheet-flat", "sheet-bent", "round", "solid")


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartGeometry:
    """What the routing and the estimates need from a design analysis, in mm.

    ``convex_hull_volume_mm3`` is optional; without it no part is taken for round.
    """

    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]
    convex_hull_volume_mm3: float | None = None
    watertight: bool = True
    shells: int = 1

    @classmethod
    def from_analysis(cls, analysis: Mapping[str, Any]) -> PartGeometry:
        """From the design analysis (``marketplace.designs.geometry.analyze_path``) or a copy."""
        x, y, z = (float(v) for v in analysis["bbox_mm"])
        hull = analysis.get("convex_hull_volume_mm3")
        return cls(
            volume_mm3=float(analysis["volume_mm3"]),
            area_mm2=float(analysis["area_mm2"]),
            bbox_mm=(x, y, z),
            convex_hull_volume_mm3=None if hull is None else float(hull),
            watertight=bool(analysis.get("watertight", True)),
            shells=int(analysis.get("shells", 1)),
        )

    @property
    def dims(self) -> tuple[float, float, float]:
        """Bounding-box sides, largest first (orientation-free)."""
        a, b, c = sorted(self.bbox_mm, reverse=True)
        return a, b, c

    @property
    def bbox_volume_mm3(self) -> float:
        a, b, c = self.bbox_mm
        return a * b * c

    @property
    def wall_mm(self) -> float:
        """Mean wall thickness 2V/A: exact for a thin plate, a chunkiness measure otherwise."""
        return 2 * self.volume_mm3 / self.area_mm2 if self.area_mm2 > 0 else 0.0

    @property
    def flat_area_mm2(self) -> float:
        """One side of the unfolded sheet (A/2, edges neglected), for sheet parts."""
        return self.area_mm2 / 2

    def round_axis(self) -> tuple[float, float] | None:
        """(diameter, length) when the part looks turned: two equal sides and a cylinder hull."""
        hull = self.convex_hull_volume_mm3
        if not hull or self.bbox_volume_mm3 <= 0:
            return None
        fill = hull / self.bbox_volume_mm3
        if not ROUND_HULL_FILL[0] <= fill <= ROUND_HULL_FILL[1]:
            return None
        x, y, z = self.bbox_mm
        for d1, d2, length in ((x, y, z), (x, z, y), (y, z, x)):
            if abs(d1 - d2) <= ROUND_SIDE_MATCH * max(d1, d2):
                return (max(d1, d2), length)
        return None

    def shape(self) -> str:
        """``sheet-flat``, ``sheet-bent``, ``round`` or ``solid``; see docs/process-planning.md."""
        wall = self.wall_mm
        if 0 < wall <= SHEET_MAX_WALL_MM:
            if self.dims[2] <= FLAT_MAX_HEIGHT_WALLS * wall + 0.5:
                return "sheet-flat"
            return "sheet-bent"
        if self.round_axis() is not None:
            return "round"
        return "solid"


@dataclass(frozen=True)
class MaterialSpec:
    """A catalog material: ``processes`` are the catalog's processes for it (empty: any)."""

    code: str
    name: str
    family: str
    density_g_cm3: float = 1.0
    price_per_kg_minor: int = 0
    processes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineRequest:
    """One order line as the planner needs it.

    ``finish`` is a catalog finish code (``anodized``...) or None; ``five_axis`` asks for
    5-axis milling (a complex shape the customer knows about: undercuts cannot be seen
    cheaply in the mesh); ``multi_part`` says the line is one part of an assembled order.
    """

    id: str
    geometry: PartGeometry
    material: MaterialSpec
    finish: str | None = None
    quantity: int = 1
    tolerance: str = "standard"
    five_axis: bool = False
    multi_part: bool = False


# -- the rules table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """A step a rule adds: any one of ``processes`` does it.

    ``material_bound`` steps shape the material: their processes are narrowed to those the
    material allows and their machines must take the material and hold the tolerance.
    """

    id: str
    processes: tuple[str, ...]
    material_bound: bool = False


@dataclass(frozen=True)
class Rule:
    """One row of the routing table; ``None`` conditions match anything."""

    stage: str
    steps: tuple[StepSpec, ...]
    families: frozenset[str] | None = None
    shapes: frozenset[str] | None = None
    tolerances: frozenset[str] | None = None
    finish: str | None = None
    five_axis: bool | None = None
    multi_part: bool | None = None
    refusal: str = ""  # finish rows: shown when the finish is asked for on another material
    why: str = ""


def _fs(*items: str) -> frozenset[str]:
    return frozenset(items)


MILL = "mill"
DEBURR = StepSpec("deburr", ("deburring",))
PRECISE = _fs("precision", "high-precision")

RULES: tuple[Rule, ...] = (
    # make: the first matching row wins (rows are tried in this order)
    Rule(
        "make",
        (
            StepSpec("cut", ("laser-cutting",), True),
            StepSpec("bend", ("sheet-bending",), True),
        ),
        families=SHEET_METALS,
        shapes=_fs("sheet-bent"),
        why="a bent sheet part is cut flat by laser, then bent on a press brake",
    ),
    Rule(
        "make",
        (StepSpec("cut", ("laser-cutting",), True),),
        families=SHEET_METALS,
        shapes=_fs("sheet-flat"),
        why="a flat sheet part is laser cut",
    ),
    Rule(
        "make",
        (StepSpec(MILL, ("cnc-turning", "cnc-3axis", "cnc-5axis"), True), DEBURR),
        families=MACHINABLE,
        shapes=_fs("round"),
        tolerances=_fs("standard"),
        five_axis=False,
        why="a round part is turned (or milled), then deburred",
    ),
    Rule(
        "make",
        (StepSpec(MILL, ("cnc-turning", "cnc-5axis"), True), DEBURR),
        families=MACHINABLE,
        shapes=_fs("round"),
        tolerances=PRECISE,
        why="a precise round part is turned or 5-axis milled, then deburred",
    ),
    Rule(
        "make",
        (StepSpec(MILL, ("cnc-5axis",), True), DEBURR),
        families=MACHINABLE,
        tolerances=PRECISE,
        why="precision milling is done on 5-axis machines (one setup, tightest tolerance)",
    ),
    Rule(
        "make",
        (StepSpec(MILL, ("cnc-5axis",), True), DEBURR),
        families=MACHINABLE,
        five_axis=True,
        why="complex shapes, or when asked, are milled on 5 axes",
    ),
    Rule(
        "make",
        (StepSpec(MILL, ("cnc-3axis", "cnc-5axis"), True), DEBURR),
        families=MACHINABLE,
        why="metal and POM parts are CNC milled from stock, then deburred",
    ),
    Rule(
        "make",
        (StepSpec("print", ("sls", "mjf"), True), StepSpec("depowder", ("bead-blasting",))),
        families=_fs("powder"),
        why="PA12 powder is sintered (SLS or MJF); parts are bead blasted to remove powder",
    ),
    Rule(
        "make",
        (StepSpec("print", ("sla",), True),),
        families=_fs("resin"),
        why="resins are printed by SLA (washing and curing included)",
    ),
    Rule(
        "make",
        (StepSpec("print", ("fdm",), True),),
        families=_fs("thermoplastic"),
        why="thermoplastic filaments are printed by FDM",
    ),
    # finish: the row of the finish asked for
    Rule(
        "finish",
        (StepSpec("anodize", ("anodizing",)),),
        finish="anodized",
        families=_fs("aluminium"),
        refusal="Anodizing needs aluminium; {material} cannot be anodized.",
        why="anodizing grows an oxide layer on aluminium only",
    ),
    Rule(
        "finish",
        (StepSpec("coat", ("powder-coating",)),),
        finish="powder-coated",
        families=SHEET_METALS,
        refusal="Powder coating is offered on aluminium and steel; {material} cannot be "
        "powder coated.",
        why="powder is baked onto aluminium and steel",
    ),
    Rule(
        "finish",
        (StepSpec("blast", ("bead-blasting",)),),
        finish="bead-blasted",
        families=METALS | {"powder"},
        refusal="Bead blasting is offered on metals and PA12 nylon; {material} cannot be "
        "bead blasted.",
        why="glass beads give metals and sintered nylon a matte surface",
    ),
    Rule(
        "finish",
        (StepSpec("dye", ("dyeing",)),),
        finish="dyed-black",
        families=_fs("powder"),
        refusal="Dyeing needs porous sintered nylon (PA12); {material} cannot be dyed.",
        why="dye soaks into porous sintered nylon",
    ),
    Rule(
        "finish",
        (StepSpec("deburr", ("deburring",)),),
        finish="deburred",
        families=MACHINABLE,
        refusal="Deburring is for machined metal and POM parts; {material} cannot be deburred.",
        why="edges of machined parts are deburred",
    ),
    # inspect
    Rule(
        "inspect",
        (StepSpec("inspect", ("cmm-inspection",)),),
        tolerances=PRECISE,
        why="precision classes are measured on a CMM with a report",
    ),
    # assemble: order level, one job that waits for every part
    Rule(
        "assemble",
        (StepSpec("assemble", ("assembly",)),),
        multi_part=True,
        why="parts of a multi-part order are assembled and packed once all have arrived",
    ),
)


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    """A step of a line's route: any machine of ``processes`` that passes the filters.

    ``material`` is set for shaping steps (the machine must take it); ``tolerance_mm`` is the
    +/- tolerance the machine must hold (None: no filter).
    """

    id: str
    processes: tuple[str, ...]
    stage: str
    material: str | None = None
    tolerance_mm: float | None = None
    why: str = ""

    @property
    def name(self) -> str:
        """Display name for sentences: "5-axis CNC milling", "CNC machining", "anodizing"."""
        if len(self.processes) == 1 and self.id in ("mill", "print"):
            return PROCESS_NAMES.get(self.processes[0], self.processes[0])
        return STEP_NAMES.get(self.id, self.id)


@dataclass(frozen=True)
class LinePlan:
    """The ordered steps of one line, or the reasons it cannot be made (``reasons``)."""

    line_id: str
    steps: tuple[PlannedStep, ...] = ()
    reasons: tuple[str, ...] = ()
    shape: str = ""

    @property
    def feasible(self) -> bool:
        return not self.reasons and bool(self.steps)


# -- the planner -------------------------------------------------------------------------------


def _matches(rule: Rule, *, family: str, shape: str, tolerance: str, request: LineRequest) -> bool:
    return (
        (rule.families is None or family in rule.families)
        and (rule.shapes is None or shape in rule.shapes)
        and (rule.tolerances is None or tolerance in rule.tolerances)
        and (rule.five_axis is None or rule.five_axis == request.five_axis)
    )


def _narrow(spec: StepSpec, material: MaterialSpec) -> tuple[str, ...]:
    """The step's processes the material allows (all when the catalog lists none)."""
    if not spec.material_bound or not material.processes:
        return spec.processes
    return tuple(p for p in spec.processes if p in material.processes)


def _planned(
    spec: StepSpec, rule: Rule, request: LineRequest, processes: tuple[str, ...]
) -> PlannedStep:
    tol = TOLERANCE_CLASSES.get(request.tolerance)
    if spec.material_bound:
        return PlannedStep(spec.id, processes, rule.stage, request.material.code, tol, why=rule.why)
    if rule.stage == "inspect" and tol is not None:
        return PlannedStep(
            spec.id, processes, rule.stage, None, tol / INSPECTION_ACCURACY_RATIO, why=rule.why
        )
    return PlannedStep(spec.id, processes, rule.stage, why=rule.why)


def plan_line(request: LineRequest, rules: Sequence[Rule] = RULES) -> LinePlan:
    """The ordered steps for one line, or plain-language reasons why it cannot be made."""
    material = request.material
    reasons: list[str] = []
    if request.quantity < 1:
        reasons.append("The quantity must be at least 1.")
    if request.tolerance not in TOLERANCE_CLASSES:
        known = ", ".join(TOLERANCE_CLASSES)
        reasons.append(f"Unknown tolerance class {request.tolerance!r}; choose one of {known}.")
    if request.geometry.volume_mm3 <= 0:
        reasons.append("The design has no volume, so it cannot be made as a solid part.")
    shape = request.geometry.shape()
    if reasons:
        return LinePlan(request.id, reasons=tuple(reasons), shape=shape)
    steps: list[PlannedStep] = []
    cond = {"family": material.family, "shape": shape, "tolerance": request.tolerance}

    make = None
    for rule in rules:
        if rule.stage != "make" or not _matches(rule, request=request, **cond):
            continue
        narrowed = [_narrow(s, material) for s in rule.steps]
        if all(narrowed):
            make = rule
            steps += [
                _planned(s, rule, request, p) for s, p in zip(rule.steps, narrowed, strict=True)
            ]
            break
    if make is None:
        reasons.append(_no_process_reason(request, shape))

    finish = (request.finish or "").strip()
    if finish and finish != "none":
        rows = [r for r in rules if r.stage == "finish" and r.finish == finish]
        if not rows:
            reasons.append(f"We do not offer the finish {finish!r}.")
        for rule in rows:
            if rule.families is not None and material.family not in rule.families:
                reasons.append(rule.refusal.format(material=material.name or material.code))
                continue
            have = {p for s in steps for p in s.processes}
            for spec in rule.steps:
                if not set(spec.processes) <= have:
                    steps.append(_planned(spec, rule, request, spec.processes))

    for rule in rules:
        if rule.stage == "inspect" and _matches(rule, request=request, **cond):
            steps += [_planned(s, rule, request, s.processes) for s in rule.steps]
    if reasons:
        return LinePlan(request.id, reasons=tuple(reasons), shape=shape)
    return LinePlan(request.id, steps=tuple(steps), shape=shape)


def _no_process_reason(request: LineRequest, shape: str) -> str:
    material = request.material
    name = material.name or material.code
    sheet_only = material.processes and all(
        PROCESS_FAMILIES.get(p) == "sheet" for p in material.processes
    )
    if sheet_only:
        return (
            f"{name} is sold as sheet only, and this part is not a sheet part (its walls are "
            f"about {request.geometry.wall_mm:.1f} mm; sheet parts are {SHEET_MAX_WALL_MM:g} mm "
            "or thinner)."
        )
    return f"No process in the network works {name} into this part."


def assembly_steps(rules: Sequence[Rule] = RULES) -> tuple[PlannedStep, ...]:
    """The steps of the assembly job a multi-part order adds (it waits for every part)."""
    out: list[PlannedStep] = []
    for rule in rules:
        if rule.stage == "assemble":
            out += [PlannedStep(s.id, s.processes, "assemble", why=rule.why) for s in rule.steps]
    return tuple(out)


@dataclass(frozen=True)
class OrderPlan:
    """Every line's plan plus the assembly steps (empty unless the order is assembled)."""

    lines: tuple[LinePlan, ...]
    assembly: tuple[PlannedStep, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r for line in self.lines for r in line.reasons)

    @property
    def feasible(self) -> bool:
        return all(line.feasible for line in self.lines)


def plan_order(requests: Iterable[LineRequest], rules: Sequence[Rule] = RULES) -> OrderPlan:
    """Plan every line; add the assembly job when any line is part of a multi-part order."""
    requests = list(requests)
    lines = tuple(plan_line(r, rules) for r in requests)
    assembled = any(r.multi_part for r in requests)
    return OrderPlan(lines, assembly_steps(rules) if assembled else ())


# -- the rules as a table, for docs/process-planning.md ----------------------------------------


def _cell(values: frozenset[str] | None, order: Sequence[str] = ()) -> str:
    if values is None:
        return "any"
    ordered = [v for v in order if v in values] + sorted(v for v in values if v not in order)
    return ", ".join(ordered)


def rules_markdown(rules: Sequence[Rule] = RULES) -> str:
    """The routing table as Markdown; pasted into docs/process-planning.md (a test compares)."""
    rows = [
        "| # | stage | material families | shape | tolerance | also when | steps | why |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, rule in enumerate(rules, 1):
        also = []
        if rule.finish:
            also.append(f"finish `{rule.finish}`")
        if rule.five_axis is not None:
            also.append("5-axis asked" if rule.five_axis else "5-axis not asked")
        if rule.multi_part:
            also.append("multi-part order")
        steps = " -> ".join("/".join(f"`{p}`" for p in s.processes) for s in rule.steps)
        families = _cell(rule.families, sorted(METALS))
        if rule.families == METALS | {"powder"}:
            families = "metals, powder"
        elif rule.families == MACHINABLE:
            families = "metals, engineering_plastic"
        elif rule.families == METALS:
            families = "metals"
        rows.append(
            f"| {n} | {rule.stage} | {families} | {_cell(rule.shapes, SHAPES)} | "
            f"{_cell(rule.tolerances, list(TOLERANCE_CLASSES))} | {', '.join(also) or '-'} | "
            f"{steps} | {rule.why} |"
        )
    return "\n".join(rows) + "\n"
