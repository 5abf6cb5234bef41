"""Time, cost and CO2 of each planned step on each capable machine, and of transport legs.

Pure: dataclasses describing machines, carriers and the part in; estimates out; no Django.
Simple models, every constant with its unit, written up in docs/process-planning.md;
freight pricing lives in matching.transport. Units: minutes, integer minor units of the
machine's currency, grams of CO2, millimetres. One batch per step: a step of quantity q is
set up once (``setup_minutes``, ``setup_cost_minor``) and then runs q parts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.geodesy import haversine_km
from matching.planning import (
    PROCESS_FAMILIES,
    PROCESS_NAMES,
    MaterialSpec,
    PartGeometry,
    PlannedStep,
)
from matching.transport import (
    MIN_LEG_MINUTES,
    PALLET_MAX_KG,
    PARCEL_MAX_CM,
    PARCEL_MAX_KG,
    ROAD_FACTOR,
    SMALL_PARCEL,
    Consignment,
    RateBand,
    carrier_leg,
    road_km,
)

# -- constants ---------------------------------------------------------------------------------

# Rate unit of each process's throughput (as in marketplace/demo/catalog.py); the unit picks
# the time model.
RATE_UNITS: dict[str, str] = {
    "fdm": "cm3_per_h",
    "sla": "cm3_per_h",
    "sls": "cm3_per_h",
    "mjf": "cm3_per_h",
    "cnc-3axis": "cm3_per_min",
    "cnc-5axis": "cm3_per_min",
    "cnc-turning": "cm3_per_min",
    "laser-cutting": "mm_per_min",
    "sheet-bending": "bends_per_h",
    "deburring": "parts_per_h",
    "anodizing": "dm2_per_h",
    "powder-coating": "dm2_per_h",
    "bead-blasting": "dm2_per_h",
    "dyeing": "parts_per_h",
    "cmm-inspection": "parts_per_h",
    "assembly": "parts_per_h",
}

# Average electrical draw while running, kW (spindle, heaters, lasers, compressors, ovens).
POWER_KW: dict[str, float] = {
    "fdm": 0.3,
    "sla": 0.25,
    "sls": 6.0,
    "mjf": 9.0,
    "cnc-3axis": 7.5,
    "cnc-5axis": 12.0,
    "cnc-turning": 8.0,
    "laser-cutting": 15.0,
    "sheet-bending": 5.0,
    "deburring": 1.5,
    "anodizing": 20.0,
    "powder-coating": 25.0,
    "bead-blasting": 4.0,
    "dyeing": 6.0,
    "cmm-inspection": 1.5,
    "assembly": 0.2,
}
# Fallback by process family when a process is not listed above, kW.
POWER_KW_BY_FAMILY: dict[str, float] = {
    "additive": 3.0,
    "subtractive": 10.0,
    "sheet": 10.0,
    "finishing": 10.0,
    "inspection": 1.5,
    "assembly": 0.2,
}
GRID_G_PER_KWH = 250  # g CO2 per kWh, EU-27 average electricity mix (EEA, 2023)

# Additive: (support/packing factor on build time, material waste factor), per process.
ADDITIVE_FACTORS: dict[str, tuple[float, float]] = {
    "fdm": (1.15, 1.10),  # supports printed too; failed-print and purge waste
    "sla": (1.15, 1.20),  # supports; resin left in the vat and on supports
    "sls": (1.00, 1.30),  # no supports; unfused powder ages and is partly refreshed
    "mjf": (1.00, 1.25),  # no supports; HP's 80 % powder reuse ratio
}
ADDITIVE_DEFAULT = (1.10, 1.20)

# Milling and turning.
STOCK_MARGIN_MM = 3.0  # mm of stock added on every side of the bounding box
FINISH_PASS_CM2_PER_MIN = 10.0  # cm2 of surface finished per minute (aluminium)
HANDLING_MIN_PER_PART = 2.0  # minutes to load, probe and unload each part
# Material removal rate relative to aluminium (the machine's throughput is for aluminium).
MACHINABILITY: dict[str, float] = {
    "aluminium": 1.0,
    "engineering_plastic": 1.5,
    "copper_alloy": 0.8,
    "steel": 0.35,
    "stainless": 0.25,
    "titanium": 0.15,
}

# Sheet metal.
LASER_REF_THICKNESS_MM = 2.0  # mm; the cutter's throughput is for this sheet, slower above
CUT_FEATURE_FACTOR = 1.5  # holes and cut-outs add half the outline again to the cut length
SHEET_NEST_WASTE = 1.3  # sheet bought per sheet used (nesting skeleton)
MAX_BENDS = 12  # cap of the bend-count estimate

# Capability filters, in the order they are checked (a rejection says which one failed).
FILTERS = ("process", "currency", "material", "envelope", "tolerance")


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MachineSpec:
    """A machine as the estimator and the engine need it.

    ``materials`` empty means any part (finishing, inspection, assembly). ``throughput`` is in
    the process's rate unit (``rate_unit``, default from ``RATE_UNITS``). ``windows`` and
    ``booked`` are minute intervals from the quote's minute 0 (``None``: always available).
    """

    id: str
    workshop: str
    process: str
    materials: frozenset[str]
    envelope_mm: tuple[float, float, float]
    tolerance_mm: float
    hourly_rate_minor: int
    setup_cost_minor: int
    setup_minutes: int
    throughput: float
    currency: str = "EUR"
    lat: float = 0.0
    lon: float = 0.0
    windows: tuple[tuple[int, int], ...] | None = None
    booked: tuple[tuple[int, int], ...] = ()
    rate_unit: str = ""
    name: str = ""  # e.g. "Haas VF-2", for explanations
    workshop_name: str = ""  # e.g. "Präzision Stuttgart"
    grid_g_per_kwh: float = GRID_G_PER_KWH  # g CO2/kWh of the workshop's electricity
    # Who stands behind the offer, for runner-up prices (see ``independent``): the
    # organization's id ("" = the workshop is its own party), its members' user ids, and
    # whether the platform verified it.
    organization: str = ""
    members: frozenset[str] = frozenset()
    verified: bool = True
    # The workshop's country (ISO alpha-2) and certification codes, for confidential designs.
    country: str = ""
    certifications: frozenset[str] = frozenset()

    @property
    def unit(self) -> str:
        return self.rate_unit or RATE_UNITS.get(self.process, "")

    @property
    def label(self) -> str:
        return self.workshop_name or self.workshop


@dataclass(frozen=True)
class CarrierSpec:
    """A logistics partner's tariff: parcel and pallet prices by distance band (``rates``,
    see matching.transport); without a table, a dedicated vehicle at base fee + per 100 km."""

    id: str
    base_fee_minor: int
    per_100km_minor: int
    speed_km_per_day: float
    co2_g_per_km: float  # a dedicated vehicle's, used only without ``rates``
    name: str = ""
    organization: str = ""  # as on MachineSpec: who stands behind the offer
    members: frozenset[str] = frozenset()
    verified: bool = True
    rates: tuple[RateBand, ...] = ()
    parcel_max_kg: float = PARCEL_MAX_KG
    parcel_max_cm: float = PARCEL_MAX_CM
    pallet_max_kg: float = PALLET_MAX_KG
    # minutes; a leg never takes less (a day; a direct courier's for urgent re-plans)
    min_leg_minutes: int = MIN_LEG_MINUTES


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A step on one machine: ``minutes`` = setup + run; ``cost`` = setup + machine + material."""

    machine: str
    workshop: str
    process: str
    minutes: int
    cost: int  # minor units
    co2: int  # grams
    setup_minutes: int
    run_minutes: float
    setup_cost: int  # minor units
    machine_cost: int  # minor units
    material_cost: int  # minor units
    energy_kwh: float
    detail: str  # how the time was computed, in words


@dataclass(frozen=True)
class Rejection:
    """Why a machine cannot do a step: ``check`` is one of ``FILTERS``."""

    machine: str
    check: str
    reason: str


@dataclass(frozen=True)
class StepEstimates:
    """Every capable machine's estimate (cheapest first) and every other machine's rejection."""

    step: PlannedStep
    estimates: tuple[Estimate, ...]
    rejections: tuple[Rejection, ...]


@dataclass(frozen=True)
class LegQuote:
    """A transport leg by one carrier: road km, minutes, cost and CO2; the runner-up's cost."""

    carrier: str
    km: float  # road km
    minutes: int
    cost: int  # minor units
    co2: int  # grams
    runner_up_carrier: str | None = None
    runner_up_cost: int | None = None  # minor units
    reference_cost: int | None = None  # minor units: the median quote, see reference_cost()


# -- helpers -----------------------------------------------------------------------------------


def _party(offer: MachineSpec | CarrierSpec) -> str:
    if offer.organization:
        return offer.organization
    return offer.workshop if isinstance(offer, MachineSpec) else offer.id


def independent(chosen: MachineSpec | CarrierSpec, other: MachineSpec | CarrierSpec) -> bool:
    """Whether ``other`` may stand as the runner-up to ``chosen``: verified by the platform,
    another organization, and no member (owner or employee) in common.

    A runner-up price raises the chosen party's margin share, so it must come from a party
    that could not be quoting to inflate it.
    """
    return (
        other.verified and _party(other) != _party(chosen) and not (chosen.members & other.members)
    )


def reference_cost(chosen: int, alternatives: Iterable[int]) -> int:
    """The median of the chosen quote and the independent alternatives (minor units, even
    counts: the mean of the two middle quotes, rounded down).

    The sharing rule bounds a runner-up price by it, so one inflated alternative can move
    the reference at most to the middle of the quotes, not to its own price.
    """
    costs = sorted([chosen, *alternatives])
    middle = len(costs) // 2
    if len(costs) % 2:
        return costs[middle]
    return (costs[middle - 1] + costs[middle]) // 2


def _minor(x: float) -> int:
    """Round half up to whole minor units."""
    return math.floor(x + 0.5)


def fits(dims: Sequence[float], envelope: Sequence[float]) -> bool:
    """True when a box fits the envelope in some axis-aligned orientation (sorted sides)."""
    return all(d <= e for d, e in zip(sorted(dims), sorted(envelope), strict=True))


def sheet_flat_pattern(geometry: PartGeometry) -> tuple[float, float, float]:
    """(length, width, thickness) mm of the unfolded blank: the flat area A/2 as a rectangle
    with the aspect of the part's two largest sides, and thickness 2V/A."""
    a, b, _ = geometry.dims
    flat = geometry.flat_area_mm2
    aspect = a / b if b > 0 else 1.0
    length = math.sqrt(flat * aspect)
    width = flat / length if length > 0 else 0.0
    return length, width, geometry.wall_mm


def bend_count(geometry: PartGeometry) -> int:
    """Bends of a sheet part: flange area beyond the footprint over a mean flange.

    With sides a >= b >= c and flat area F, flanges = (F - a*b) / (c * (a + b) / 2): 1 for an
    L bracket, 2 for a U channel, 4 for an open box (square footprints); 0 for a flat part.
    """
    if geometry.shape() != "sheet-bent":
        return 0
    a, b, c = geometry.dims
    extra = geometry.flat_area_mm2 - a * b
    mean_flange = c * (a + b) / 2
    bends = round(extra / mean_flange) if mean_flange > 0 else 1
    return max(1, min(MAX_BENDS, bends))


def _grams(material: MaterialSpec | None, volume_mm3: float) -> float:
    return 0.0 if material is None else volume_mm3 / 1000 * material.density_g_cm3


def _material_cost(material: MaterialSpec | None, volume_mm3: float) -> float:
    """Minor units for ``volume_mm3`` of material: cm3 x g/cm3 x (minor/kg / 1000 g)."""
    if material is None:
        return 0.0
    return _grams(material, volume_mm3) * material.price_per_kg_minor / 1000


# -- capability --------------------------------------------------------------------------------


def check(
    step: PlannedStep,
    geometry: PartGeometry,
    machine: MachineSpec,
    *,
    currency: str | None = None,
    check_envelope: bool = True,
) -> Rejection | None:
    """The first capability filter the machine fails for this step, or None if capable."""
    dims = geometry.dims
    if machine.process not in step.processes:
        return Rejection(machine.id, "process", f"does {machine.process}")
    if currency is not None and machine.currency != currency:
        return Rejection(machine.id, "currency", f"prices in {machine.currency}")
    if step.material is not None and machine.materials and step.material not in machine.materials:
        return Rejection(machine.id, "material", f"does not take {step.material}")
    if check_envelope:
        if machine.process == "laser-cutting":
            dims = sheet_flat_pattern(geometry)
        if not fits(dims, machine.envelope_mm):
            env = " x ".join(f"{e:g}" for e in machine.envelope_mm)
            return Rejection(machine.id, "envelope", f"envelope {env} mm is too small")
    if step.tolerance_mm is not None and machine.tolerance_mm > step.tolerance_mm + 1e-9:
        return Rejection(
            machine.id,
            "tolerance",
            f"holds +/-{machine.tolerance_mm:g} mm, not +/-{step.tolerance_mm:g} mm",
        )
    return None


# -- time models -------------------------------------------------------------------------------


def _run(
    machine: MachineSpec, geometry: PartGeometry, material: MaterialSpec | None, quantity: int
) -> tuple[float, float, str]:
    """(run minutes, material cost in minor units, detail) for ``quantity`` parts."""
    unit = machine.unit
    rate = machine.throughput
    if rate <= 0:
        raise ValueError(f"machine {machine.id} has no throughput")
    q = quantity
    if unit == "cm3_per_h":
        # additive: build time from deposited volume; material with a waste factor
        support, waste = ADDITIVE_FACTORS.get(machine.process, ADDITIVE_DEFAULT)
        cm3 = geometry.volume_mm3 / 1000 * q * support
        minutes = cm3 / rate * 60
        material_cost = _material_cost(material, geometry.volume_mm3 * q * waste)
        return minutes, material_cost, f"{cm3:.1f} cm3 at {rate:g} cm3/h"
    if unit == "cm3_per_min":
        # milling/turning from stock: removed volume at the MRR, finishing passes, handling
        stock = _stock_mm3(machine, geometry)
        removed_cm3 = max(0.0, stock - geometry.volume_mm3) / 1000
        factor = MACHINABILITY.get(material.family, 0.5) if material else 1.0
        cut = removed_cm3 / (rate * factor)
        finish = geometry.area_mm2 / 100 / (FINISH_PASS_CM2_PER_MIN * factor)
        per_part = cut + finish + HANDLING_MIN_PER_PART
        material_cost = _material_cost(material, stock * q)
        return (
            per_part * q,
            material_cost,
            f"{removed_cm3:.1f} cm3 removed per part at {rate * factor:g} cm3/min",
        )
    if unit == "mm_per_min":
        length, width, thickness = sheet_flat_pattern(geometry)
        cut_mm = 2 * (length + width) * CUT_FEATURE_FACTOR
        speed = rate * LASER_REF_THICKNESS_MM / max(thickness, LASER_REF_THICKNESS_MM)
        minutes = cut_mm * q / speed
        material_cost = _material_cost(material, length * width * thickness * SHEET_NEST_WASTE * q)
        return minutes, material_cost, f"{cut_mm:.0f} mm cut per part at {speed:.0f} mm/min"
    if unit == "bends_per_h":
        bends = bend_count(geometry)
        return bends * q / rate * 60, 0.0, f"{bends} bends per part at {rate:g} bends/h"
    if unit == "dm2_per_h":
        dm2 = geometry.area_mm2 / 10_000 * q
        return dm2 / rate * 60, 0.0, f"{dm2:.2f} dm2 at {rate:g} dm2/h"
    if unit == "parts_per_h":
        return q / rate * 60, 0.0, f"{q} parts at {rate:g} parts/h"
    raise ValueError(f"no time model for rate unit {unit!r} (machine {machine.id})")


def _stock_mm3(machine: MachineSpec, geometry: PartGeometry) -> float:
    """Bar or block stock: the bbox plus a margin; round bar for turning a round part."""
    m = 2 * STOCK_MARGIN_MM
    axis = geometry.round_axis() if machine.process == "cnc-turning" else None
    if axis is not None:
        diameter, length = axis
        return math.pi / 4 * (diameter + m) ** 2 * (length + m)
    x, y, z = geometry.bbox_mm
    return (x + m) * (y + m) * (z + m)


def power_kw(process: str) -> float:
    """Average draw of a machine of this process, kW."""
    if process in POWER_KW:
        return POWER_KW[process]
    return POWER_KW_BY_FAMILY.get(PROCESS_FAMILIES.get(process, ""), 5.0)


def estimate(
    step: PlannedStep,
    geometry: PartGeometry,
    material: MaterialSpec | None,
    quantity: int,
    machine: MachineSpec,
    *,
    currency: str | None = None,
    check_envelope: bool = True,
) -> Estimate | Rejection:
    """The step on this machine for ``quantity`` parts, set up once; or why it cannot run.

    minutes = ceil(setup_minutes + run); cost = setup_cost + hourly_rate x run hours +
    material; CO2 = kW x run hours x the grid's g/kWh (setup idles are neglected).
    """
    rejected = check(step, geometry, machine, currency=currency, check_envelope=check_envelope)
    if rejected is not None:
        return rejected
    bound = material if step.material is not None else None
    run, material_cost, detail = _run(machine, geometry, bound, quantity)
    energy = power_kw(machine.process) * run / 60
    machine_cost = _minor(machine.hourly_rate_minor * run / 60)
    material_minor = _minor(material_cost)
    return Estimate(
        machine=machine.id,
        workshop=machine.workshop,
        process=machine.process,
        minutes=max(1, math.ceil(machine.setup_minutes + run - 1e-9)),
        cost=machine.setup_cost_minor + machine_cost + material_minor,
        co2=_minor(energy * machine.grid_g_per_kwh),
        setup_minutes=machine.setup_minutes,
        run_minutes=run,
        setup_cost=machine.setup_cost_minor,
        machine_cost=machine_cost,
        material_cost=material_minor,
        energy_kwh=energy,
        detail=detail,
    )


def estimate_step(
    step: PlannedStep,
    geometry: PartGeometry,
    material: MaterialSpec | None,
    quantity: int,
    machines: Iterable[MachineSpec],
    *,
    currency: str | None = None,
    check_envelope: bool = True,
) -> StepEstimates:
    """Estimates of the step on every capable machine (cheapest, then fastest, first)."""
    estimates: list[Estimate] = []
    rejections: list[Rejection] = []
    for machine in machines:
        result = estimate(
            step,
            geometry,
            material,
            quantity,
            machine,
            currency=currency,
            check_envelope=check_envelope,
        )
        (estimates if isinstance(result, Estimate) else rejections).append(result)
    estimates.sort(key=lambda e: (e.cost, e.minutes, e.co2, e.machine))
    return StepEstimates(step, tuple(estimates), tuple(rejections))


def no_machine_reason(
    result: StepEstimates, geometry: PartGeometry, material: MaterialSpec | None
) -> str:
    """Why no machine can do the step, from the furthest filter any machine passed."""
    step = result.step
    what = step.name
    name = (material.name or material.code) if (material and step.material) else None
    dims = " \u00d7 ".join(f"{d:g}" for d in geometry.bbox_mm)
    reached = {r.check for r in result.rejections}
    if "tolerance" in reached:
        on = f" on {name}" if name else ""
        return (
            f"No machine in the network holds ±{step.tolerance_mm:g} mm for {what}"
            f"{on} at {dims} mm."
        )
    if "envelope" in reached:
        if name:
            return f"No machine in the network takes {name} at {dims} mm."
        return f"No machine in the network is big enough for {what} at {dims} mm."
    if "material" in reached:
        return f"No machine in the network does {what} in {name}."
    if "currency" in reached:
        return f"No machine for {what} quotes in this currency."
    return f"No machine in the network does {what}."


# -- transport ---------------------------------------------------------------------------------


def transport_leg(
    origin: tuple[float, float],
    destination: tuple[float, float],
    carriers: Sequence[CarrierSpec],
    load: Consignment = SMALL_PARCEL,
) -> LegQuote:
    """The cheapest carrier's leg between two (lat, lon) places (ties: faster, then id).

    For the profit-sharing rule it keeps the runner-up: the cheapest carrier independent of
    the chosen one (``independent``), and the reference: the median of the chosen quote and
    every independent one (``reference_cost``).
    """
    if not carriers:
        raise ValueError("no carrier to move parts")
    km = road_km(*origin, *destination)
    by_id = {c.id: c for c in carriers}
    quotes = sorted(
        ((*carrier_leg(c, km, load), c.id) for c in carriers), key=lambda t: (t[1], t[0], t[3])
    )
    minutes, cost, co2, carrier = quotes[0]
    others = [q for q in quotes[1:] if independent(by_id[carrier], by_id[q[3]])]
    runner = others[0] if others else None
    return LegQuote(
        carrier=carrier,
        km=km,
        minutes=minutes,
        cost=cost,
        co2=co2,
        runner_up_carrier=runner[3] if runner else None,
        runner_up_cost=runner[1] if runner else None,
        reference_cost=reference_cost(cost, (q[1] for q in others)),
    )


__all__ = [
    "FILTERS",
    "GRID_G_PER_KWH",
    "PROCESS_NAMES",
    "ROAD_FACTOR",
    "CarrierSpec",
    "Estimate",
    "LegQuote",
    "MachineSpec",
    "Rejection",
    "StepEstimates",
    "bend_count",
    "carrier_leg",
    "check",
    "estimate",
    "estimate_step",
    "fits",
    "haversine_km",
    "independent",
    "no_machine_reason",
    "power_kw",
    "reference_cost",
    "road_km",
    "sheet_flat_pattern",
    "transport_leg",
]
