"""A small seeded world for the API fuzzer: one member of each kind of organization and one of
each object they act on, so that generated requests can reach real rows."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Invitation, Membership, Notification, Organization
from tests.factories import (
    CapacityExceptionFactory,
    CarrierFactory,
    MachineFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WorkshopFactory,
)
from tests.factories.billing import PaymentFactory
from tests.factories.orders import (
    JobFactory,
    OrderFactory,
    QuoteLineFactory,
    QuoteOptionFactory,
    ShipmentFactory,
)
from tests.helpers import give_second_factor

ROLES = ("customer", "workshop", "carrier", "operator")
_PARAMETER = re.compile(r"\{(\w+)\}")
OBJECT_FIELDS = {
    "organization": "organizations",
    "workshop": "workshops",
    "machine": "machines",
    "design": "designs",
    "revision": "revisions",
    "quote": "quotes",
    "option": "options",
    "order": "orders",
    "order_id": "orders",
    "job": "jobs",
    "shipment": "shipments",
    "process": "processes",
    "material": "materials",
}
"""Query and body fields that name an object, with the collection whose real id they get."""


@dataclass
class World:
    tokens: dict[str, str]
    """Each role's knox token."""
    ids: dict[str, int | str] = field(default_factory=dict)
    """The id of one real row by the collection that precedes it in a path (`orders`, `jobs`)."""

    def known_path_parameters(self, path: str) -> dict[str, int | str]:
        """Path parameters naming rows that exist: `/orders/{id}/jobs/{job_id}/` gets the
        order's and the job's ids, so fuzzed bodies meet real objects, not only 404s."""
        segments = path.strip("/").split("/")
        known: dict[str, int | str] = {}
        for before, segment in itertools.pairwise(segments):
            match = _PARAMETER.fullmatch(segment)
            if match and before in self.ids:
                known[match.group(1)] = self.ids[before]
        return known

    def aimed(self, value: Any) -> Any:
        """`value` with every field that names an object (`order`, `machine`, `revision`...)
        set to a real row's id, at any depth; other values untouched."""
        if isinstance(value, dict):
            return {
                key: self.ids[OBJECT_FIELDS[key]]
                if OBJECT_FIELDS.get(key) in self.ids
                else self.aimed(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.aimed(item) for item in value]
        return value

    def aim(self, case: Any) -> Any:
        """A generated schemathesis case whose query and body name real rows."""
        if isinstance(case.query, dict) and case.query:
            case.query = self.aimed(case.query)
        if isinstance(case.body, dict | list):
            case.body = self.aimed(case.body)
        return case


def _member(kind: str, email: str) -> tuple:
    organization = OrganizationFactory(name=f"Fuzz {kind}", kind=kind)
    user = UserFactory(email=email)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.OWNER)
    return user, organization


def build_world() -> World:
    """Seed the world and return each role's token and the ids of its rows."""
    customer, acme = _member(Organization.Kind.CUSTOMER, "alice@example.com")
    workshop_user, shop_org = _member(Organization.Kind.WORKSHOP, "bob@example.com")
    carrier_user, cargo = _member(Organization.Kind.LOGISTICS, "carla@example.com")
    operator, _ = _member(Organization.Kind.PLATFORM, "olga@example.com")
    for needs_a_second_factor in (operator, workshop_user, carrier_user):  # accounts.second_factor
        give_second_factor(needs_a_second_factor)
    colleague = MembershipFactory(organization=acme, role=Membership.Role.MEMBER)

    workshop = WorkshopFactory(organization=shop_org)
    machine = MachineFactory(workshop=workshop, open_on=range(5))
    closure = CapacityExceptionFactory(machine=machine)
    carrier = CarrierFactory(organization=cargo)

    line = QuoteLineFactory(request__organization=acme)
    option = QuoteOptionFactory(request=line.request)
    order = OrderFactory(option=option)
    job = JobFactory(order=order, workshop=workshop, machine=machine)
    shipment = ShipmentFactory(order=order, origin=workshop, carrier=carrier)
    PaymentFactory(order_id=order.pk, payer=acme)
    invitation = Invitation.objects.create(
        organization=acme, email="dave@example.com", role=Membership.Role.MEMBER
    )
    notification = Notification.objects.create(
        user=customer, kind="order.paid", title="Paid", created_at=timezone.now()
    )
    users = {
        "customer": customer,
        "workshop": workshop_user,
        "carrier": carrier_user,
        "operator": operator,
    }
    return World(
        tokens={role: AuthToken.objects.create(user)[1] for role, user in users.items()},
        ids={
            "organizations": acme.pk,
            "members": colleague.pk,
            "invitations": invitation.pk,
            "notifications": notification.pk,
            "workshops": workshop.pk,
            "machines": machine.pk,
            "closures": closure.pk,
            "designs": line.revision.design_id,
            "revisions": line.revision_id,
            "quotes": line.request_id,
            "options": option.pk,
            "orders": order.pk,
            "jobs": job.pk,
            "shipments": shipment.pk,
            "processes": machine.process.code,
            "materials": line.material.code,
        },
    )
