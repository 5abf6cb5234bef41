"""The network's catalog tells the analysis what kind of part each process takes."""

from __future__ import annotations

import pytest

from marketplace.designs.services import network_capabilities
from marketplace.network.models import Process
from tests.factories import MachineFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def test_catalog_processes_become_capabilities_that_agree_with_the_process():
    catalog = {
        "mjf": ProcessFactory(code="mjf", name="Multi Jet Fusion", additive=True),
        "fdm": ProcessFactory(
            code="fdm", name="FDM printing", additive=True, self_supporting_angle_deg=45
        ),
        "laser-cutting": ProcessFactory(
            code="laser-cutting",
            name="Laser cutting",
            family=Process.Family.SHEET,
            rate_unit=Process.RateUnit.CUTTING,
        ),
        "cnc-turning": ProcessFactory(code="cnc-turning", name="CNC turning"),
        "cnc-3axis": ProcessFactory(),
    }
    for process in catalog.values():
        MachineFactory(process=process)
    capabilities = {c.code: c for c in network_capabilities()}
    assert capabilities["mjf"].powder_bed
    assert not capabilities["mjf"].needs_support
    assert capabilities["fdm"].needs_support
    assert capabilities["laser-cutting"].shape == "sheet"
    assert capabilities["cnc-turning"].shape == "revolved"
    assert capabilities["cnc-3axis"].shape == "any"
