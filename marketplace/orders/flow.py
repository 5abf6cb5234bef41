"""The order and job state machines as plain tables: statuses, allowed moves, who makes them.

`order_transition` and `job_transition` (`marketplace/orders/transitions.py`) are the only
writers of `Order.status` and of a workshop's moves of `Job.status`; they refuse any move these
tables do not list. Tests walk the whole status × status grids against them.
"""

from dataclasses import dataclass
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


class JobStatus(StrEnum):
    """The values of `Job.Status`; the model's choices add the labels."""

    PLANNED = "planned"  # part of the plan, not yet offered (order unpaid)
    OFFERED = "offered"  # waiting for the workshop to accept before its deadline
    ACCEPTED = "accepted"  # machine time booked
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"
    SUPERSEDED = "superseded"  # replaced by a re-plan
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobMove:
    """Where a workshop may move a job from, and what it is told when it may not."""

    sources: frozenset[JobStatus]
    refusal: str  # "{status}" is the job's current status, in words
    repeatable: bool = True  # asking again once there is a no-op (a retried request)


J = JobStatus

# target: the move a workshop makes (the platform's own moves are SYSTEM_JOB_MOVES below).
JOB_MOVES: dict[JobStatus, JobMove] = {
    J.ACCEPTED: JobMove(frozenset({J.OFFERED}), "This job is {status}; it cannot be accepted."),
    J.DECLINED: JobMove(
        frozenset({J.OFFERED, J.ACCEPTED}),
        "This job is {status}; it cannot be declined.",
        repeatable=False,
    ),
    J.IN_PROGRESS: JobMove(frozenset({J.ACCEPTED}), "Accept the job before starting it."),
    J.DONE: JobMove(frozenset({J.IN_PROGRESS}), "Start the job before completing it."),
}


def job_move_allowed(source: JobStatus, target: JobStatus) -> bool:
    move = JOB_MOVES.get(target)
    return move is not None and source in move.sources


# target: the moves the platform makes on its own, never a workshop. Offering follows the
# payment; cancelling ends the work an order will not need (cancelled, expired, a dispute
# decided); superseding retires a step that a re-plan moved elsewhere, running ones included
# (the machine failed under them). A done step is never taken back.
SYSTEM_JOB_MOVES: dict[JobStatus, frozenset[JobStatus]] = {
    J.OFFERED: frozenset({J.PLANNED}),
    J.CANCELLED: frozenset({J.PLANNED, J.OFFERED, J.ACCEPTED, J.IN_PROGRESS}),
    J.SUPERSEDED: frozenset({J.PLANNED, J.OFFERED, J.ACCEPTED, J.IN_PROGRESS, J.DECLINED}),
}
