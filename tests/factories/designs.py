"""Factories for designs and their revisions; a revision here is analysed already, so that it
can be quoted without running the geometry analysis."""

import factory

from marketplace.designs.models import Design, DesignRevision
from tests.data.analyses import BRACKET
from tests.data.analyses import GEAR as MEASURED_GEAR
from tests.factories import OrganizationFactory

# The gear as the database tests have always quoted it: a rounder hull than the measured one.
GEAR = {**MEASURED_GEAR, "convex_hull_volume_mm3": 9500.0}


class DesignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Design

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Part {n}")


class DesignRevisionFactory(factory.django.DjangoModelFactory):
    """Revision 1 of a new design, analysed as the bracket; the stored file holds `file__data`
    (placeholder bytes unless given) under a generated name, as an upload would be stored."""

    class Meta:
        model = DesignRevision

    design = factory.SubFactory(DesignFactory)
    number = 1
    file = factory.django.FileField(filename="upload.stl", data=b"solid part\nendsolid part\n")
    original_name = factory.LazyAttribute(lambda o: f"{o.design.name}.stl")
    format = "stl_binary"
    size_bytes = 1000
    sha256 = "0" * 64
    status = DesignRevision.Status.ANALYSED
    analysis = factory.LazyFunction(lambda: dict(BRACKET))


def bracket_and_gear(organization) -> list[DesignRevision]:
    """Two analysed parts of `organization`, a bracket and a gear, ready to be quoted."""
    return [
        DesignRevisionFactory(
            design__organization=organization, design__name=name, analysis=dict(analysis)
        )
        for name, analysis in (("Bracket", BRACKET), ("Gear", GEAR))
    ]
