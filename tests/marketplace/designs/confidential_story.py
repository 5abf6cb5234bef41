"""A small network for the confidential-design tests: two workshops that can both mill and
deburr aluminium, Mill Works in Germany (ISO 9001) and Eindhoven Fab in the Netherlands."""

from __future__ import annotations

from datetime import UTC, datetime, time

from accounts.models import Organization
from marketplace.network.models import Carrier, Certification, WeeklyAvailability, Workshop
from tests.factories import (
    MachineFactory,
    MaterialFactory,
    OrganizationFactory,
    ProcessFactory,
    WorkshopFactory,
)

NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)  # a Monday, 06:00 UTC
MUNICH = (48.1351, 11.5820)
FAST = {"time_limit_s": 1.0, "workers": 1}
PRICING = {"margin_bp": 1000, "platform_fee_bp": 500}


def _machine(workshop: Workshop, process, **kw):
    machine = MachineFactory(workshop=workshop, process=process, **kw)
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=time(6), end_time=time(22))
        for d in range(7)
    )
    return machine


def two_workshop_network(*, stuttgart_org=None, eindhoven_org=None) -> dict:
    """Both workshops mill and deburr; only Mill Works holds ISO 9001."""
    mill = ProcessFactory(
        code="cnc-3axis",
        name="3-axis milling",
        family="subtractive",
        rate_unit="cm3_per_min",
        typical_tolerance_mm="0.050",
    )
    deburr = ProcessFactory(
        code="deburring", name="Deburring", family="finishing", rate_unit="parts_per_h"
    )
    aluminium = MaterialFactory(code="al-6061", name="Aluminium 6061-T6", processes=[mill])
    iso = Certification.objects.create(code="iso-9001", name="ISO 9001")
    shops = {}
    for key, name, place, country, org in (
        ("stuttgart", "Mill Works", (48.7758, 9.1829), "DE", stuttgart_org),
        ("eindhoven", "Eindhoven Fab", (51.4416, 5.4697), "NL", eindhoven_org),
    ):
        organization = org or OrganizationFactory(name=name, kind=Organization.Kind.WORKSHOP)
        workshop = WorkshopFactory(
            organization=organization,
            latitude=place[0],
            longitude=place[1],
            country=country,
            city=name.split()[0],
            min_lead_time_hours=0,
        )
        milling = _machine(workshop, mill, name=f"{name} mill")
        milling.materials.add(aluminium)
        _machine(workshop, deburr, name=f"{name} deburr", throughput="30")
        shops[key] = workshop
    shops["stuttgart"].certifications.add(iso)
    Carrier.objects.create(
        organization=OrganizationFactory(name="Rhein Cargo", kind=Organization.Kind.LOGISTICS),
        countries="DE,NL",
        base_fee_minor=1500,
        per_100km_minor=80,
        speed_km_per_day=600,
        co2_g_per_km=250,
    )
    return shops
