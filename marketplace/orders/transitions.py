"""The one way an order changes status: the table in `flow.py`, a row lock, an audit event."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketplace.errors import TransitionRefused
from marketplace.orders import flow as order_flow
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.models import (
    Order,
    OrderEvent,
)
from marketplace.orders.notices import announce


# -- orders ---------------------------------------------------------------------------------
def order_transition(
    *,
    order: Order,
    to: OrderStatus,
    role: Role,
    actor: User | None = None,
    reason: str = "",
) -> Order:
    """Moves an order to `to` if the table allows it for `role`; a repeat is harmless.

    Locks the order, returns early when it is already there, writes the audit event in the
    same transaction and tells the people involved after commit.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        current = OrderStatus(order.status)
        if current == to:
            return order
        if not order_flow.allowed(current, to, role):
            raise TransitionRefused(
                f"Order {order.reference} is {order_flow.LABELS[current].lower()}; "
                f"it cannot become {order_flow.LABELS[to].lower()} now."
            )
        order.status = to
        fields = ["status"]
        if to == OrderStatus.DELIVERED:
            order.delivered_at = timezone.now()
            fields.append("delivered_at")
        if to == OrderStatus.COMPLETED:
            order.completed_at = timezone.now()
            fields.append("completed_at")
        order.save(update_fields=fields)
        OrderEvent.objects.create(
            order=order,
            from_status=current,
            to_status=to,
            actor=actor,
            role=role,
            reason=reason[:500],
        )
        announce(
            order, f"order.{to.value}", f"Order {order.reference}: {order_flow.LABELS[to]}", reason
        )
    return order
