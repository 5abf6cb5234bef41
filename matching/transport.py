"""Freight as carriers sell it: parcels and pallets priced by distance band, CO2 per tonne-km.

A carrier's tariff is a small table: for each distance band (upper bound in road km) the
price of one parcel and of one pallet, in minor units. What a shipment costs follows the
trade's rules:

- chargeable weight = max(actual weight, volumetric weight), volumetric weight being the
  packed volume / 5000 cm3 per kg (the parcel divisor of the large European integrators);
- a shipment travels as parcels while each parcel stays within the carrier's parcel limits
  (weight, longest side) and few enough parcels carry it, else as pallets;
- CO2 = chargeable tonnes x road km x a published freight emission factor for the vehicle:
  a van for parcels, a heavy goods vehicle for pallets. Factors are the UK Government's GHG
  conversion factors for company reporting (DESNZ/DEFRA 2024, "Freighting goods": average
  van up to 3.5 t about 0.60 kg CO2e per tonne-km; average laden diesel HGV about 0.11),
  the figures the GLEC Framework also points to for road freight where carriers give none.
  Chargeable rather than actual weight allocates a van's load by the space a parcel takes,
  which is what limits a parcel van.

Pure: no Django; everything in minor units, grams, kilograms, centimetres, road km.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from matching.geodesy import haversine_km

VOLUMETRIC_DIVISOR_CM3_PER_KG = 5000.0  # cm3 per chargeable kg (parcels, road)
PACKING_FACTOR = 1.6  # packed box volume per bounding-box volume of the parts (padding, voids)
PADDING_CM = 4.0  # cm added to the longest part side for the box walls and padding
MIN_BOX_CM3 = 25 * 17 * 8  # cm3: the smallest shipping carton parcel services take
PACKAGING_KG = 0.3  # kg of carton and padding per consignment
MAX_PARCELS = 5  # beyond this many parcels one pallet is cheaper to handle
PARCEL_MAX_KG = 31.5  # kg: the common European parcel limit
PARCEL_MAX_CM = 120.0  # cm: longest side of a standard parcel
PALLET_MAX_KG = 1000.0  # kg per Euro pallet, as carriers accept them by default
PALLET_MAX_CM = 240.0  # cm: longest side that still fits a (long) pallet load

# kg CO2e per tonne-km, DESNZ/DEFRA 2024 GHG conversion factors, "Freighting goods".
VAN_KG_CO2E_PER_TKM = 0.60  # average van up to 3.5 t
HGV_KG_CO2E_PER_TKM = 0.11  # average HGV, all diesel, average laden

PARCEL, PALLET = "parcel", "pallet"
ROAD_FACTOR = 1.3  # road km per great-circle km
MIN_LEG_MINUTES = 24 * 60  # minutes; any handover between two places takes at least a day


@dataclass(frozen=True)
class RateBand:
    """One line of a carrier's tariff: up to ``upto_km`` road km, the price per piece."""

    upto_km: float
    parcel_minor: int
    pallet_minor: int


@dataclass(frozen=True)
class Consignment:
    """What one leg carries: actual weight, packed volume and the longest side."""

    actual_kg: float
    volume_cm3: float
    longest_cm: float

    @property
    def volumetric_kg(self) -> float:
        return self.volume_cm3 / VOLUMETRIC_DIVISOR_CM3_PER_KG

    @property
    def chargeable_kg(self) -> float:
        return max(self.actual_kg, self.volumetric_kg)


# A leg whose contents nobody said: one small parcel (a 30 x 20 x 15 cm box of 1 kg).
SMALL_PARCEL = Consignment(actual_kg=1.0, volume_cm3=9000.0, longest_cm=30.0)


def consignment_of(parts: Sequence[tuple[float, tuple[float, float, float], float, int]]):
    """The consignment of ``(volume mm3, bbox mm, density g/cm3, quantity)`` parts, packed.

    Actual weight is volume x density plus the packaging; the box is the parts' bounding
    boxes x ``PACKING_FACTOR``, never smaller than the smallest carton; the longest side is
    the longest part's plus padding.
    """
    actual_g = sum(volume / 1000 * density * qty for volume, _, density, qty in parts)
    boxes_mm3 = sum(math.prod(bbox) * qty for _, bbox, _, qty in parts)
    longest_mm = max((max(bbox) for _, bbox, _, _ in parts), default=0.0)
    return Consignment(
        actual_kg=actual_g / 1000 + PACKAGING_KG,
        volume_cm3=max(boxes_mm3 / 1000 * PACKING_FACTOR, MIN_BOX_CM3),
        longest_cm=longest_mm / 10 + PADDING_CM,
    )


@dataclass(frozen=True)
class Packing:
    """How a consignment travels: as ``count`` parcels or pallets."""

    kind: str  # PARCEL | PALLET
    count: int
    chargeable_kg: float


def _half_up(x: float) -> int:
    """Round half up to a whole unit (minor units, grams)."""
    return math.floor(x + 0.5)


class Tariff(Protocol):
    """What of a carrier the pricing reads (``matching.estimation.CarrierSpec`` has it)."""

    rates: tuple[RateBand, ...]
    parcel_max_kg: float
    parcel_max_cm: float
    pallet_max_kg: float


class Carrier(Tariff, Protocol):
    """A carrier as a leg needs it: its tariff, its speed, and the vehicle fallback."""

    speed_km_per_day: float
    base_fee_minor: int
    per_100km_minor: int
    co2_g_per_km: float
    min_leg_minutes: int


def pack(load: Consignment, carrier: Tariff) -> Packing:
    """Parcels while the pieces stay within the carrier's parcel limits, else pallets."""
    chargeable = load.chargeable_kg
    parcels = max(1, math.ceil(chargeable / carrier.parcel_max_kg))
    if load.longest_cm <= min(carrier.parcel_max_cm, PARCEL_MAX_CM) and parcels <= MAX_PARCELS:
        return Packing(PARCEL, parcels, chargeable)
    pallets = max(1, math.ceil(chargeable / carrier.pallet_max_kg))
    return Packing(PALLET, pallets, chargeable)


def band_for(rates: Sequence[RateBand], km: float) -> RateBand:
    """The first band reaching ``km``; beyond the last band, the last band's prices scaled
    by distance (a carrier's table stops where it rarely drives, not where it stops driving)."""
    ordered = sorted(rates, key=lambda b: b.upto_km)
    for band in ordered:
        if km <= band.upto_km:
            return band
    last = ordered[-1]
    scale = km / last.upto_km
    return RateBand(km, _half_up(last.parcel_minor * scale), _half_up(last.pallet_minor * scale))


def freight(carrier: Tariff, km: float, load: Consignment) -> tuple[int, int, Packing]:
    """(cost minor, CO2 g, packing) of moving ``load`` over ``km`` road km by table."""
    packing = pack(load, carrier)
    band = band_for(carrier.rates, km)
    unit = band.parcel_minor if packing.kind == PARCEL else band.pallet_minor
    factor = VAN_KG_CO2E_PER_TKM if packing.kind == PARCEL else HGV_KG_CO2E_PER_TKM
    co2_g = packing.chargeable_kg / 1000 * km * factor * 1000
    return unit * packing.count, _half_up(co2_g), packing


def validate_rates(rates: Sequence[RateBand]) -> list[str]:
    """What is wrong with a tariff table, in words (empty: nothing).

    Bands have distinct positive upper bounds; prices are positive; a pallet costs at least
    a parcel; a longer band never costs less than a shorter one.
    """
    problems: list[str] = []
    ordered = sorted(rates, key=lambda b: b.upto_km)
    seen: set[float] = set()
    for band in ordered:
        if band.upto_km <= 0:
            problems.append("Each band needs a positive distance.")
        if band.upto_km in seen:
            problems.append(f"The band up to {band.upto_km:g} km is listed twice.")
        seen.add(band.upto_km)
        if band.parcel_minor <= 0 or band.pallet_minor <= 0:
            problems.append(f"Prices up to {band.upto_km:g} km must be positive.")
        if band.pallet_minor < band.parcel_minor:
            problems.append(f"Up to {band.upto_km:g} km a pallet costs less than a parcel.")
    for shorter, longer in pairwise(ordered):
        if longer.parcel_minor < shorter.parcel_minor or longer.pallet_minor < shorter.pallet_minor:
            problems.append(
                f"The band up to {longer.upto_km:g} km is cheaper than the one up to "
                f"{shorter.upto_km:g} km."
            )
    return problems


def road_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Road distance estimate: great circle x ``ROAD_FACTOR``."""
    return haversine_km(lat1, lon1, lat2, lon2) * ROAD_FACTOR


def carrier_leg(
    carrier: Carrier, km: float, load: Consignment = SMALL_PARCEL
) -> tuple[int, int, int]:
    """(minutes, cost minor, CO2 g) of ``load`` over ``km`` road km with one carrier.

    minutes = max(the carrier's shortest leg, km / (km per day) x 1440), the shortest leg
    being a day (``MIN_LEG_MINUTES``) unless a direct courier was asked for (an urgent
    re-plan); cost and CO2 by the carrier's table
    (``freight``), or without one a vehicle: base fee + per-100-km x
    km/100 and g per km x km.
    """
    minutes = max(carrier.min_leg_minutes, math.ceil(km / carrier.speed_km_per_day * 24 * 60))
    if carrier.rates:
        cost, co2, _ = freight(carrier, km, load)
        return minutes, cost, co2
    cost = carrier.base_fee_minor + _half_up(carrier.per_100km_minor * km / 100)
    return minutes, cost, _half_up(carrier.co2_g_per_km * km)
