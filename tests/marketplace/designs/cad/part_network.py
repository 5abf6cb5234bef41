"""An FDM printer added to the shared small network, so parts are priced by two processes."""

from __future__ import annotations

from datetime import time

from marketplace.network.models import Machine, WeeklyAvailability, Workshop
from tests.factories import MachineFactory, MaterialFactory, ProcessFactory


def add_printer(workshop: Workshop) -> Machine:
    """A Prusa XL printing PLA at `workshop`, open 06:00-22:00 every day."""
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
    pla = MaterialFactory(
        code="pla", name="PLA", family="thermoplastic", density_g_cm3="1.240", processes=[fdm]
    )
    printer = MachineFactory(
        workshop=workshop,
        process=fdm,
        name="Prusa XL",
        envelope_x_mm=360,
        envelope_y_mm=360,
        envelope_z_mm=360,
        throughput="15",
        hourly_rate_minor=800,
        setup_cost_minor=500,
    )
    printer.materials.add(pla)
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=printer, weekday=d, start_time=time(6), end_time=time(22))
        for d in range(7)
    )
    return printer
