"""What a workshop's systems hear of its machines: `machine.down` and `machine.available`."""

from __future__ import annotations

from typing import TypedDict

from accounts.webhooks.services import webhook_emit
from marketplace.network.models import Machine


class MachineData(TypedDict):
    id: int
    name: str
    process: str
    status: str
    note: str
    until: str | None


def machine_data(machine: Machine) -> MachineData:
    return MachineData(
        id=machine.pk,
        name=machine.name,
        process=machine.process.name,
        status=machine.status,
        note=machine.status_note,
        until=machine.status_until.isoformat() if machine.status_until else None,
    )


def machine_status_emit(machine: Machine, *, available: bool) -> None:
    """Inside the transaction of the status change, to the machine's workshop only."""
    webhook_emit(
        event_type="machine.available" if available else "machine.down",
        organization_ids=[machine.workshop.organization_id],
        data=lambda: {"machine": machine_data(machine)},
    )
