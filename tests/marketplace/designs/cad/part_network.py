"""A small verified network for part prices: a mill, a printer and a deburring bench in
Stuttgart, and a carrier to bring the part to the customer."""

from __future__ import annotations

from datetime import time

from accounts.models import Organization
from marketplace.network.models import Carrier, Machine, WeeklyAvailability
from tests.factories import (
    MachineFactory,
    MaterialFactory,
    OrganizationFactory,
    ProcessFactory,
    WorkshopFactory,
)


def _open_every_day(machine: Machine) -> Machine:
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=time(6), end_time=time(22))
        for d in range(7)
    )
    return machine


def small_network() -> dict:
    mill = ProcessFactory(
        code="cnc-3axis",
        name="3-axis CNC milling",
        family="subtractive",
        rate_unit="cm3_per_min",
        typical_tolerance_mm="0.050",
        min_wall_mm="0.80",
        min_feature_mm="0.50",
    )
    fdm = ProcessFactory(
        code="fdm",
        name="FDM printing",
        family="additive",
        rate_unit="cm3_per_h",
        typical_tolerance_mm="0.300",
        min_wall_mm="0.80",
        min_feature_mm="1.00",
        self_supporting_angle_deg=45,
    )
    aluminium = MaterialFactory(code="al-6061", name="Aluminium 6061-T6", processes=[mill])
    pla = MaterialFactory(
        code="pla", name="PLA", family="thermoplastic", density_g_cm3="1.240", processes=[fdm]
    )
    shop = WorkshopFactory()
    milling = _open_every_day(MachineFactory(workshop=shop, process=mill, name="Haas VF-2"))
    milling.materials.add(aluminium)
    printer = _open_every_day(
        MachineFactory(
            workshop=shop,
            process=fdm,
            name="Prusa XL",
            envelope_x_mm=360,
            envelope_y_mm=360,
            envelope_z_mm=360,
            throughput="15",
            hourly_rate_minor=800,
            setup_cost_minor=500,
        )
    )
    printer.materials.add(pla)
    deburring = ProcessFactory(
        code="deburring", name="Deburring", family="finishing", rate_unit="parts_per_h"
    )
    _open_every_day(
        MachineFactory(workshop=shop, process=deburring, name="Deburr bench", throughput="30")
    )
    Carrier.objects.create(
        organization=OrganizationFactory(name="Rhein Cargo", kind=Organization.Kind.LOGISTICS),
        countries="DE",
        base_fee_minor=1500,
        per_100km_minor=80,
        speed_km_per_day=600,
        co2_g_per_km=250,
    )
    return {"mill": milling, "printer": printer, "workshop": shop}
