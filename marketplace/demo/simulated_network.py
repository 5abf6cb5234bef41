"""The simulations' own small network, built through the real services and reused.

Every process has three workshops in different places, so that the network keeps two thirds of
its capacity for any process when one of them goes down and, loaded as a real network is (with
room to spare), can absorb the loss (the outage simulation measures exactly that); a carrier serves
both countries, a customer has two designs analysed like any upload, and an operator decides
what needs a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Organization, User
from marketplace.demo.seed import _machine, seed_catalog
from marketplace.designs.geometry import samples
from marketplace.designs.models import Design, DesignRevision
from marketplace.designs.services import design_analyse, design_upload
from marketplace.network.models import Carrier, Finish, Material, Workshop
from marketplace.orders import quotes as quote_services

MUNICH = quote_services.ShipTo("Goods in", "Leopoldstraße 100", "Munich", "DE", 48.16, 11.585)


@dataclass
class Network:
    """Who acts in a simulation and what the customer orders."""

    customer: User
    customer_org: Organization
    operator: User
    revisions: list[DesignRevision]
    material: Material
    finish: Finish


MILL = ["cnc-3axis", "deburring", "assembly"]
SIM_WORKSHOPS = [
    # (name, city, lat, lon, processes)
    ("Sim Mill Stuttgart", "Stuttgart", "48.7758", "9.1829", MILL),
    ("Sim Mill Eindhoven", "Eindhoven", "51.4416", "5.4697", MILL),
    ("Sim Anodica Nuremberg", "Nuremberg", "49.4521", "11.0767", ["anodizing"]),
    ("Sim Eloxal Augsburg", "Augsburg", "48.3705", "10.8978", ["anodizing"]),
    ("Sim Mill Ulm", "Ulm", "48.4011", "9.9876", MILL),
    ("Sim Anodica Regensburg", "Regensburg", "49.0134", "12.1016", ["anodizing"]),
]


def _organization(name: str, kind: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"kind": kind})
    return organization


def member_of(organization: Organization) -> User:
    """Someone who acts for the organization: its first member, or a simulation account."""
    membership = organization.memberships.select_related("user").order_by("pk").first()
    if membership is not None:
        return membership.user
    email = f"sim+{organization.pk}@simulation.cloudfactory.example"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, None)
    Membership.objects.get_or_create(user=user, organization=organization)
    return user


def network_build() -> Network:
    """The small network of the simulation, built once and reused: three mills, three
    anodizers, a carrier, a customer with a bracket and a gear, and an operator."""
    processes, materials, _ = seed_catalog()
    for index, (name, city, lat, lon, codes) in enumerate(SIM_WORKSHOPS, start=1):
        organization = _organization(name, Organization.Kind.WORKSHOP)
        workshop, created = Workshop.objects.get_or_create(
            organization=organization,
            defaults={
                "city": city,
                "country": "DE" if city != "Eindhoven" else "NL",
                "latitude": lat,
                "longitude": lon,
                "verification_status": Workshop.Verification.VERIFIED,
                # Each takes urgent work after a breakdown elsewhere within four hours.
                "urgent_lead_time_hours": 4,
            },
        )
        if created:
            for number, code in enumerate(codes, start=1):
                _machine(workshop, processes[code], materials, number, index)
        member_of(organization)
    carrier_org = _organization("Sim Cargo", Organization.Kind.LOGISTICS)
    Carrier.objects.get_or_create(
        organization=carrier_org,
        defaults={
            "countries": "DE,NL",
            "base_fee_minor": 1500,
            "per_100km_minor": 80,
            "speed_km_per_day": 600,
            # A direct courier for work re-planned after a breakdown: a leg of 4 h at least.
            "urgent_leg_hours": 4,
            "co2_g_per_km": 250,
        },
    )
    member_of(carrier_org)
    customer_org = _organization("Sim Robotics", Organization.Kind.CUSTOMER)
    operator_org = Organization.objects.filter(kind=Organization.Kind.PLATFORM).order_by("pk")
    operator_org = operator_org.first() or _organization(
        "Sim Operations", Organization.Kind.PLATFORM
    )
    customer = member_of(customer_org)
    return Network(
        customer=customer,
        customer_org=customer_org,
        operator=member_of(operator_org),
        revisions=_designs(customer, customer_org),
        material=materials["al-6061"],
        finish=Finish.objects.get(code="anodized"),
    )


def _designs(user: User, organization: Organization) -> list[DesignRevision]:
    """The bracket and the gear, uploaded and analysed like any customer's files."""
    revisions = []
    for name, make in (("Sim bracket", samples.bracket), ("Sim gear", samples.gear)):
        design = Design.objects.filter(organization=organization, name=name).first()
        if design is None:
            upload = SimpleUploadedFile(f"{name}.stl", make(), content_type="model/stl")
            design = design_upload(
                user=user, organization=organization, upload=upload, name=name
            ).design
        revision = design.latest
        if revision is not None and not revision.is_analysed:
            revision = design_analyse(revision_id=revision.pk)
        revisions.append(revision)
    return revisions
