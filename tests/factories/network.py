"""A small network for order tests: two mills (Stuttgart, Eindhoven), one anodizer
(Nuremberg) and a carrier, each with a member who can log in."""

from datetime import time

from accounts.models import Organization
from tests.factories import (
    CarrierFactory,
    FinishFactory,
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


def open_all_week(**kw):
    """A machine open every day from 06:00 to 22:00."""
    return MachineFactory(
        open_on=range(7), open_on__start_time=time(6), open_on__end_time=time(22), **kw
    )


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
    FinishFactory(code="anodized", name="Anodized", process=anodize, materials=[aluminium])
    stuttgart, bob = _workshop("Mill Works", 48.7758, 9.1829, "Stuttgart")
    eindhoven, charlie = _workshop("Second Mill", 51.4416, 5.4697, "Eindhoven")
    nuremberg, nina = _workshop("Anodica Nuremberg", 49.4521, 11.0767, "Nuremberg")
    for shop in (stuttgart, eindhoven):
        m = open_all_week(workshop=shop, process=mill, name=f"Mill of {shop}")
        m.materials.add(aluminium)
        open_all_week(workshop=shop, process=deburr, name=f"Deburr of {shop}", throughput="30")
        open_all_week(workshop=shop, process=assemble, name=f"Bench of {shop}", throughput="12")
    open_all_week(
        workshop=nuremberg,
        process=anodize,
        name="Anodizing line",
        throughput="200",
        tolerance_mm="0.010",
    )
    carrier_org = OrganizationFactory(name="Rhein Cargo", kind=Organization.Kind.LOGISTICS)
    carla = UserFactory(email="carla@example.com")
    MembershipFactory(user=carla, organization=carrier_org)
    CarrierFactory(organization=carrier_org, speed_km_per_day=600, co2_g_per_km=250)
    return {
        "bob": bob,
        "charlie": charlie,
        "nina": nina,
        "carla": carla,
        "stuttgart": stuttgart,
        "eindhoven": eindhoven,
    }


def member_for(network: dict, workshop_id: int):
    """The member who acts for a workshop of the small network."""
    return {
        network["stuttgart"].pk: network["bob"],
        network["eindhoven"].pk: network["charlie"],
    }.get(workshop_id, network["nina"])
