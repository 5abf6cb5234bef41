"""Shipments: both sides of each leg's hand-over, and delivery to the customer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_member_of
from marketplace.errors import Conflict, PermissionDenied
from marketplace.orders.escrow import (
    release_on_handover,
)
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import (
    Job,
    Shipment,
)
from marketplace.orders.notices import order_event_record
from marketplace.orders.partner_events import shipment_emit
from marketplace.orders.transitions import order_transition


def _shipment_for_update(shipment: Shipment) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related(
            "order__organization",
            "origin__organization",
            "destination__organization",
            "carrier__organization",
        )
        .get(pk=shipment.pk)
    )


def shipment_hand_over(*, user: User, shipment: Shipment, tracking_number: str = "") -> Shipment:
    """The sending workshop (or the carrier) confirms the parts left; both sides are recorded."""
    with transaction.atomic():
        shipment = _shipment_for_update(shipment)
        if not is_member_of(user=user, organization_ids=shipment.sender_organization_ids):
            raise PermissionDenied("Only the sending workshop or the carrier hands parts over.")
        if shipment.status == Shipment.Status.IN_TRANSIT:
            return shipment
        if shipment.status != Shipment.Status.PLANNED:
            raise Conflict(f"This leg is {shipment.get_status_display().lower()}.")
        unfinished = shipment.order.jobs.filter(
            job_key=shipment.job_key, workshop=shipment.origin, status__in=Job.ACTIVE
        ).exclude(status=Job.Status.DONE)
        if unfinished.exists():
            raise Conflict("Finish the work at the sending workshop before handing the parts over.")
        shipment.status = Shipment.Status.IN_TRANSIT
        shipment.tracking_number = tracking_number.strip()[:60]
        shipment.handed_over_at = timezone.now()
        shipment.handed_over_by = user
        shipment.save()
        shipment_emit("shipment.handed_over", shipment)
        if shipment.to_customer and shipment.order.status == OrderStatus.IN_PRODUCTION:
            order_transition(
                order=shipment.order,
                to=OrderStatus.SHIPPED,
                role=Role.SYSTEM,
                actor=user,
                reason=f"Tracking {shipment.tracking_number or '-'}",
            )
        else:
            order_event_record(
                shipment.order,
                user,
                "shipment.handed_over",
                f"{shipment.origin} handed parts to {shipment.carrier}",
            )
    return shipment


def shipment_receive(*, user: User, shipment: Shipment) -> Shipment:
    """The receiving side confirms arrival: the next workshop, or the customer."""
    with transaction.atomic():
        shipment = _shipment_for_update(shipment)
        if not is_member_of(user=user, organization_ids=shipment.receiver_organization_ids):
            raise PermissionDenied("Only the receiving side or the carrier confirms arrival.")
        if shipment.status == Shipment.Status.DELIVERED:
            return shipment
        if shipment.status != Shipment.Status.IN_TRANSIT:
            raise Conflict("The parts have not been handed over yet.")
        shipment.status = Shipment.Status.DELIVERED
        shipment.received_at = timezone.now()
        shipment.received_by = user
        shipment.save()
        shipment_emit("shipment.delivered", shipment)
        # Escrow: the receiver's confirmation releases the price of the work handed over.
        transaction.on_commit(lambda: release_on_handover(shipment=shipment), robust=True)
        order_event_record(
            shipment.order,
            user,
            "shipment.received",
            f"Parts arrived at {shipment.destination or 'the customer'}",
        )
        if shipment.to_customer and shipment.order.status == OrderStatus.SHIPPED:
            role = (
                Role.CARRIER
                if is_member_of(user=user, organization_ids=[shipment.carrier.organization_id])
                else Role.CUSTOMER
            )
            order_transition(order=shipment.order, to=OrderStatus.DELIVERED, role=role, actor=user)
    return shipment
