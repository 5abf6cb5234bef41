"""The snapshot tells matching who stands behind each offer, so runner-ups are independent."""

from datetime import UTC, datetime, time

import pytest

from marketplace.network.models import WeeklyAvailability
from marketplace.network.snapshot import network_snapshot
from matching.estimation import independent
from tests.factories import CarrierFactory, MachineFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _open(machine):
    WeeklyAvailability.objects.create(
        machine=machine, weekday=0, start_time=time(8), end_time=time(16)
    )
    return machine


def test_machines_and_carriers_carry_their_organization_members_and_verification():
    owner = UserFactory()
    a, b, c = (_open(MachineFactory()) for _ in range(3))
    for machine in (a, b):  # one person owns both workshops
        MembershipFactory(user=owner, organization=machine.workshop.organization)
    truck = CarrierFactory()
    MembershipFactory(user=owner, organization=truck.organization)
    snapshot = network_snapshot(origin=datetime(2030, 1, 7, tzinfo=UTC), horizon_days=7)
    spec = {int(m.id): m for m in snapshot.machines}
    assert spec[a.pk].organization == str(a.workshop.organization_id)
    assert str(owner.pk) in spec[a.pk].members
    assert spec[a.pk].verified
    assert not independent(spec[a.pk], spec[b.pk])
    assert independent(spec[a.pk], spec[c.pk])
    (carrier,) = snapshot.carriers
    assert (carrier.organization, carrier.members) == (
        str(truck.organization_id),
        frozenset({str(owner.pk)}),
    )
