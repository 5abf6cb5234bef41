"""The order state machine as a plain table: statuses, allowed moves, and who may make them.

`order_transition` (marketplace/orders.py) is the only writer of `Order.status`; it refuses any
move this table does not list for the actor's role. Tests walk the whole status × status grid
against it.
"""

from enum import StrEnum


class OrderStatus(StrEnum):
    PLACED = "placed"  # awaiting payment
    PAID = "paid"  # money held in escrow; steps offered to workshops
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"  # the last leg to the customer is on its way
    DELIVERED = "delivered"  # the customer has the parts
    COMPLETED = "completed"  # accepted; every share can be released
    DISPUTED = "disputed"  # frozen until an operator decides
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # never paid


class Role(StrEnum):
    CUSTOMER = "customer"
    WORKSHOP = "workshop"
    CARRIER = "carrier"
    OPERATOR = "operator"
    SYSTEM = "system"  # payment confirmations, timers, job events


LABELS = {
    OrderStatus.PLACED: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.IN_PRODUCTION: "In production",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.DISPUTED: "Disputed",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.EXPIRED: "Expired",
}

S, R = OrderStatus, Role

# (from, to): roles allowed to make the move.
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], frozenset[Role]] = {
    (S.PLACED, S.PAID): frozenset({R.SYSTEM, R.OPERATOR}),
    (S.PLACED, S.CANCELLED): frozenset({R.CUSTOMER, R.OPERATOR}),
    (S.PLACED, S.EXPIRED): frozenset({R.SYSTEM}),
    (S.PAID, S.IN_PRODUCTION): frozenset({R.SYSTEM}),
    (S.PAID, S.CANCELLED): frozenset({R.CUSTOMER, R.OPERATOR}),
    (S.IN_PRODUCTION, S.SHIPPED): frozenset({R.SYSTEM}),
    (S.IN_PRODUCTION, S.DISPUTED): frozenset({R.CUSTOMER, R.OPERATOR}),
    (S.IN_PRODUCTION, S.CANCELLED): frozenset({R.OPERATOR}),
    (S.SHIPPED, S.DELIVERED): frozenset({R.CUSTOMER, R.CARRIER, R.SYSTEM}),
    (S.SHIPPED, S.DISPUTED): frozenset({R.CUSTOMER, R.OPERATOR}),
    (S.DELIVERED, S.COMPLETED): frozenset({R.CUSTOMER, R.SYSTEM, R.OPERATOR}),
    (S.DELIVERED, S.DISPUTED): frozenset({R.CUSTOMER, R.OPERATOR}),
    (S.DISPUTED, S.IN_PRODUCTION): frozenset({R.OPERATOR}),
    (S.DISPUTED, S.COMPLETED): frozenset({R.OPERATOR}),
    (S.DISPUTED, S.CANCELLED): frozenset({R.OPERATOR}),
}

TERMINAL = frozenset({S.COMPLETED, S.CANCELLED, S.EXPIRED})

# What a cancellation refunds, by the status it leaves: nothing was made before production;
# once work has started an operator decides a partial refund in the dispute.
REFUND_ON_CANCEL = {
    S.PLACED: "nothing was paid",
    S.PAID: "full refund",
    S.IN_PRODUCTION: "refund decided by an operator",
    S.DISPUTED: "refund decided by an operator",
}


def allowed(source: OrderStatus, target: OrderStatus, role: Role) -> bool:
    return role in TRANSITIONS.get((source, target), frozenset())


def next_statuses(source: OrderStatus, role: Role) -> list[OrderStatus]:
    return [t for (s, t), roles in TRANSITIONS.items() if s == source and role in roles]
