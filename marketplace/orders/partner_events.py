"""What partners' systems hear of orders, jobs and shipments: webhook payloads (api 2026-12-01).

Each builder is called inside the transaction that made the change, so the event exists
exactly when the change does; each party hears only of its own objects: the customer of its
orders, a workshop of its jobs, every side of a shipment (sender, carrier, receiver) of it.
The shapes are documented in the API schema (``marketplace.api.webhook_events``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from accounts.webhooks.services import webhook_emit
from marketplace.orders.models import Job, Order, Shipment


class MoneyData(TypedDict):
    amount_minor: int
    currency: str


class OrderData(TypedDict):
    id: int
    reference: str
    status: str
    price: MoneyData
    placed_at: str
    promised_delivery_at: str


class JobData(TypedDict):
    id: int
    order_reference: str
    name: str
    process: str
    status: str
    machine: int
    planned_start: str
    planned_end: str
    accept_by: str
    price: MoneyData


class ShipmentData(TypedDict):
    id: int
    order_reference: str
    status: str
    origin: str
    destination: str | None
    to_customer: bool
    carrier: str
    tracking_number: str
    planned_arrival: str
    handed_over_at: str | None
    received_at: str | None


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def order_data(order: Order) -> OrderData:
    return OrderData(
        id=order.pk,
        reference=order.reference,
        status=order.status,
        price=MoneyData(amount_minor=order.price_minor, currency=order.currency),
        placed_at=_at(order.placed_at),
        promised_delivery_at=_at(order.promised_delivery_at),
    )


def job_data(job: Job) -> JobData:
    return JobData(
        id=job.pk,
        order_reference=job.order.reference,
        name=job.name,
        process=job.process.name,
        status=job.status,
        machine=job.machine_id,
        planned_start=_at(job.planned_start),
        planned_end=_at(job.planned_end),
        accept_by=_at(job.accept_by),
        price=MoneyData(amount_minor=job.cost_minor, currency=job.order.currency),
    )


def shipment_data(shipment: Shipment) -> ShipmentData:
    return ShipmentData(
        id=shipment.pk,
        order_reference=shipment.order.reference,
        status=shipment.status,
        origin=str(shipment.origin),
        destination=str(shipment.destination) if shipment.destination_id else None,
        to_customer=shipment.to_customer,
        carrier=str(shipment.carrier),
        tracking_number=shipment.tracking_number,
        planned_arrival=_at(shipment.planned_arrival),
        handed_over_at=_at(shipment.handed_over_at),
        received_at=_at(shipment.received_at),
    )


ORDER_EVENTS = {"paid": "order.paid", "cancelled": "order.cancelled"}


def order_status_emit(order: Order, reason: str = "") -> None:
    """`order.paid` and `order.cancelled`, to the customer's organization."""
    event_type = ORDER_EVENTS.get(order.status)
    if event_type:
        webhook_emit(
            event_type=event_type,
            organization_ids=[order.organization_id],
            data=lambda: {"order": order_data(order), "reason": reason},
        )


def jobs_emit(event_type: str, jobs: list[Job]) -> None:
    """One event per job, to the organization of the workshop that holds it."""
    for job in jobs:
        webhook_emit(
            event_type=event_type,
            organization_ids=[job.workshop.organization_id],
            data=lambda job=job: {"job": job_data(job)},
        )


JOB_EVENTS = {"accepted": "job.accepted", "done": "job.completed"}


def job_status_emit(job: Job) -> None:
    event_type = JOB_EVENTS.get(job.status)
    if event_type:
        jobs_emit(event_type, [job])


def shipment_emit(event_type: str, shipment: Shipment) -> None:
    """To the sender, the carrier and the receiver (the next workshop or the customer)."""
    receiver = (
        shipment.order.organization_id
        if shipment.to_customer
        else shipment.destination.organization_id
    )
    webhook_emit(
        event_type=event_type,
        organization_ids=[
            shipment.origin.organization_id,
            shipment.carrier.organization_id,
            receiver,
        ],
        data=lambda: {"shipment": shipment_data(shipment)},
    )
