"""Fixtures of the network tests: a small catalog and Bob's mill."""

import pytest

from tests.factories import MachineFactory, MaterialFactory, ProcessFactory
from tests.helpers import workshop_of


@pytest.fixture
def catalog(db) -> dict:
    """3-axis CNC milling takes aluminium 6061, stereolithography a tough resin."""
    cnc = ProcessFactory()
    sla = ProcessFactory(code="sla", name="Stereolithography", additive=True)
    return {
        "cnc": cnc,
        "sla": sla,
        "alu": MaterialFactory(code="alu-6061", name="Aluminium 6061", processes=[cnc]),
        "resin": MaterialFactory(code="tough-resin", name="Tough Resin", processes=[sla]),
    }


@pytest.fixture
def mill(workshop_bob):
    """Bob's mill, open Monday to Friday 08:00-16:00 UTC: its workshop's zone is UTC, so the
    tests of booking, closures and the calendar read hours as written (the tests of local
    hours use Berlin workshops of their own)."""
    workshop = workshop_of(workshop_bob)
    workshop.timezone = "UTC"
    workshop.save(update_fields=["timezone"])
    return MachineFactory(workshop=workshop, name="Haas VF-2", open_on=range(5))
