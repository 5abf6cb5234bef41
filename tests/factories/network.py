"""A small network for order tests: two mills (Stuttgart, Eindhoven), one anodizer
(Nuremberg) and a carrier, each with a member who can log in."""

from datetime import time

from accounts.models import Organization
from marketplace.network.models import Carrier, Finish, WeeklyAvailability
from tests.factories import (
    MachineFactory,
    MaterialFactory,
    MembershipFactory,
    OrganizationFactory,
    ProcessFactory,
    UserFactory,
    WorkshopFactory,
)


def _workshop(name, lat, lon, city):
    organization = OrganizationFactory(name=name, kind=Organization.Kind.WORKSHOP)
    user = UserFactory(email=f"{name.split()[0].lower()}@example.com")
    MembershipFactory(user=user, organization=organization)
    workshop = WorkshopFactory(organization=organization, latitude=lat, longitude=lon, city=city)
    return workshop, user


def _machine(workshop, process, **kw):
    machine = MachineFactory(workshop=workshop, process=process, **kw)
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=time(6), end_time=time(22))
        for d in range(7)
    )
    return machine


def build_small_network() -> dict:
    mill = ProcessFactory(code="cnc-3axis", name="3-axis CNC milling", family="subtractive")
    deburr = ProcessFactory(
        code="deburring", name="Deburring", family="finishing", rate_unit="parts_per_h"
    )
    anodize = ProcessFactory(
        code="anodizing",
        name="Anodizing",
        family="finishing",
        rate_unit="dm2_per_h",
        typical_tolerance_mm="0.010",
    )
    assemble = ProcessFactory(
        code="assembly", name="Assembly", family="assembly", rate_unit="parts_per_h"
    )
    aluminium = MaterialFactory(code="al-6061", name="Aluminium 6061-T6", processes=[mill])
    finish = Finish.objects.create(code="anodized", name="Anodized", process=anodize)
    finish.materials.add(aluminium)
    stuttgart, bob = _workshop("Mill Works", 48.7758, 9.1829, "Stuttgart")
    eindhoven, charlie = _workshop("Second Mill", 51.4416, 5.4697, "Eindhoven")
    nuremberg, nina = _workshop("Anodica Nuremberg", 49.4521, 11.0767, "Nuremberg")
    for shop in (stuttgart, eindhoven):
        m = _machine(shop, mill, name=f"Mill of {shop}")
        m.materials.add(aluminium)
        _machine(shop, deburr, name=f"Deburr of {shop}", throughput="30")
        _machine(shop, assemble, name=f"Bench of {shop}", throughput="12")
    _machine(nuremberg, anodize, name="Anodizing line", throughput="200", tolerance_mm="0.010")
    carrier_org = OrganizationFactory(name="Rhein Cargo", kind=Organization.Kind.LOGISTICS)
    carla = UserFactory(email="carla@example.com")
    MembershipFactory(user=carla, organization=carrier_org)
    Carrier.objects.create(
        organization=carrier_org,
        countries="DE,NL",
        base_fee_minor=1500,
        per_100km_minor=80,
        speed_km_per_day=600,
        co2_g_per_km=250,
    )
    return {
        "bob": bob,
        "charlie": charlie,
        "nina": nina,
        "carla": carla,
        "stuttgart": stuttgart,
        "eindhoven": eindhoven,
    }
