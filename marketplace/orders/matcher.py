"""The marketplace's door to the matcher: reads what a quote or re-plan needs, then asks it.

``matching`` is a pure library (no database, no Django); these wrappers load the design
revisions' analyses, the network (``marketplace.network.snapshot``) and the specs of
machines that left it, and call ``matching.quote_answers`` / ``matching.replanning`` /
``matching.routes``. They write nothing: quotes, jobs, bookings and shipments belong to the
services in ``marketplace.orders``. See docs/matching-adapter.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.designs.confidential import confidentiality_rule_of
from marketplace.designs.models import DesignRevision
from marketplace.network.models import Workshop
from marketplace.network.snapshot import (
    carrier_specs,
    material_specs,
    network_snapshot,
    offline_machine_specs,
)
from marketplace.orders.models import QuoteRequest
from matching import quote_answers, replanning, routes
from matching import replan_orders as joint
from matching.quote_answers import (
    SYNC_MAX_SIZE,
    AdapterQuote,
    DesignAnalysis,
    QuoteInput,
    QuoteLineInput,
)
from matching.replan_orders import OrderToReplan, recovery_improves
from matching.replanning import (
    MOVE_PENALTY,
    Change,
    CurrentAssignment,
    MachineDownChange,
    MachineUpChange,
    NewAssignment,
    ReplanResult,
    StepDeclinedChange,
    StepLateChange,
)
from matching.routes import OptionDict, RouteLegDict, RouteStepDict
from matching.snapshot import DEFAULT_HORIZON_DAYS, Snapshot, floor_minute
from matching.transport import SMALL_PARCEL, Consignment

__all__ = [
    "MOVE_PENALTY",
    "SYNC_MAX_SIZE",
    "AdapterQuote",
    "Change",
    "Consignment",
    "CurrentAssignment",
    "MachineDownChange",
    "MachineUpChange",
    "NewAssignment",
    "OptionDict",
    "OrderToReplan",
    "QuoteInput",
    "QuoteLineInput",
    "ReplanResult",
    "RouteLegDict",
    "RouteStepDict",
    "Snapshot",
    "StepDeclinedChange",
    "StepLateChange",
    "legs_for_jobs",
    "network_snapshot",
    "quote_for",
    "quote_input_of",
    "quote_load",
    "recovery_improves",
    "replan_assignments",
    "replan_orders",
    "size_of",
]


def _design_analyses(input: QuoteInput) -> dict[int, DesignAnalysis]:
    """The request's design revisions as the matcher reads them (one query)."""
    ids = [line.revision_id for line in input.lines]
    revisions = (
        DesignRevision.objects.select_related("design")
        .prefetch_related("design__required_certifications", "design__allowed_workshops")
        .in_bulk(ids)
    )
    return {
        pk: DesignAnalysis(
            revision_id=pk,
            name=revision.design.name,
            analysis=(
                revision.analysis if revision.status == DesignRevision.Status.ANALYSED else None
            ),
            status_label=revision.get_status_display().lower(),
            failed=revision.status == DesignRevision.Status.FAILED,
            confidentiality=confidentiality_rule_of(revision.design),
        )
        for pk, revision in revisions.items()
    }


def quote_input_of(request: QuoteRequest) -> QuoteInput:
    """A stored quote request as the matcher reads it (one query for its lines)."""
    return QuoteInput(
        lines=[
            QuoteLineInput(
                revision_id=line.revision_id,
                material_code=line.material.code,
                finish_code=line.finish.code if line.finish else None,
                quantity=line.quantity,
                tolerance=line.tolerance,
                line_id=line.pk,
            )
            for line in request.lines.select_related("material", "finish")
        ],
        ship_to_lat=float(request.ship_to_latitude),
        ship_to_lon=float(request.ship_to_longitude),
        due=request.due_at,
        currency=request.currency,
    )


def quote_load(request: QuoteRequest) -> Consignment:
    """What each leg of the request's quote carries, so a re-plan of its order prices its
    new legs as the quote did (``matching.quote_answers.consignment_for``; a few queries)."""
    input = quote_input_of(request)
    return quote_answers.consignment_for(
        input, materials=material_specs(), designs=_design_analyses(input)
    )


def _quote_snapshot(input: QuoteInput, now: datetime, horizon_days: int) -> Snapshot:
    days = quote_answers.quote_horizon_days(input, now, horizon_days)
    return network_snapshot(origin=now, horizon_days=days, currency=input.currency)


def size_of(
    input: QuoteInput,
    *,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> int:
    """Steps x candidate machines the engine would get (0 when the request is refused).

    At most ``SYNC_MAX_SIZE``: answer within the request; above: solve in a Celery task.
    Pass the ``snapshot`` on to ``quote_for`` to read the network once.
    """
    now = floor_minute(now or timezone.now())
    snapshot = snapshot or _quote_snapshot(input, now, horizon_days)
    return quote_answers.size_of(input, snapshot=snapshot, designs=_design_analyses(input), now=now)


def quote_for(
    input: QuoteInput,
    *,
    margin_bp: int,
    platform_fee_bp: int,
    platform_fee_minor: int = 0,
    now: datetime | None = None,
    time_limit_s: float = 3.0,
    workers: int = 2,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> AdapterQuote:
    """Quote options (cheapest, fastest, lowest CO2, balanced) for a request, or why not.

    Reads the network (stretched to cover ``due``) unless a ``snapshot`` is given, and the
    revisions' analyses; see ``matching.quote_answers.quote_for`` for the rest.
    """
    now = floor_minute(now or timezone.now())
    snapshot = snapshot or _quote_snapshot(input, now, horizon_days)
    return quote_answers.quote_for(
        input,
        snapshot=snapshot,
        designs=_design_analyses(input),
        now=now,
        margin_bp=margin_bp,
        platform_fee_bp=platform_fee_bp,
        platform_fee_minor=platform_fee_minor,
        time_limit_s=time_limit_s,
        workers=workers,
    )


def replan_assignments(
    *,
    assignments: Sequence[CurrentAssignment],
    change: Change,
    now: datetime,
    time_limit_s: float = 3.0,
    workers: int = 2,
    move_penalty: int = MOVE_PENALTY,
    due: Mapping[str, datetime] | None = None,
    ship_to: tuple[float, float] | None = None,
    assembly_job: str | None = None,
    order_id: int | None = None,
    snapshot: Snapshot | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    load: Consignment = SMALL_PARCEL,
) -> ReplanResult:
    """Re-plan an order's remaining steps after a breakdown, a decline or a late step.

    Reads the network from the plan's earliest step (unless a ``snapshot`` is given) and the
    plan's machines that left it; see ``matching.replanning.replan_assignments``.
    """
    now = floor_minute(now)
    if snapshot is None:
        origin, days = replanning.replan_window(assignments, now, horizon_days)
        snapshot = network_snapshot(origin=origin, horizon_days=days, now=now)
    missing = replanning.offline_machine_ids(assignments, change, snapshot)
    return replanning.replan_assignments(
        assignments=assignments,
        change=change,
        now=now,
        snapshot=snapshot,
        offline=offline_machine_specs(missing) if missing else {},
        time_limit_s=time_limit_s,
        workers=workers,
        move_penalty=move_penalty,
        due=due,
        ship_to=ship_to,
        assembly_job=assembly_job,
        order_id=order_id,
        load=load,
    )


def replan_orders(
    orders: Sequence[OrderToReplan],
    *,
    change: MachineDownChange | MachineUpChange,
    now: datetime,
    time_limit_s: float = 3.0,
    workers: int = 2,
    move_penalty: int = MOVE_PENALTY,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    urgent: bool = False,
) -> dict[int, ReplanResult]:
    """Re-plan several orders in one solve (by order id); see
    ``matching.replan_orders.replan_orders``. Reads the network once, from the earliest step
    of any of them, and the plan machines that left it; ``urgent`` (an outage) reads the
    workshops' urgent lead times."""
    now = floor_minute(now)
    every = [a for order in orders for a in order.assignments]
    # From a minute before now at least, so that a done step is placed as ended by now.
    origin, days = replanning.replan_window(every, now - timedelta(minutes=1), horizon_days)
    snapshot = network_snapshot(origin=origin, horizon_days=days, now=now, urgent=urgent)
    missing: set[int] = set()
    for order in orders:
        missing |= replanning.offline_machine_ids(order.assignments, change, snapshot)
    return joint.replan_orders(
        orders,
        change=change,
        now=now,
        snapshot=snapshot,
        offline=offline_machine_specs(missing) if missing else {},
        time_limit_s=time_limit_s,
        workers=workers,
        move_penalty=move_penalty,
    )


def legs_for_jobs(
    *,
    jobs: Sequence[tuple[str, int, datetime]],
    ship_to: tuple[float, float],
    assembly_job: str | None = None,
    currency: str = "EUR",
    load: Consignment = SMALL_PARCEL,
    urgent: bool = False,
) -> list[RouteLegDict]:
    """The transport legs of a plan with the carriers pricing in ``currency`` (their direct
    couriers when ``urgent``: a re-plan after a breakdown), each carrying ``load``
    (``quote_load``); see ``matching.routes.legs_for_jobs``."""
    carriers, _ = carrier_specs(currency=currency, urgent=urgent)
    if not carriers or not jobs:
        return []
    rows = Workshop.objects.in_bulk({w for _, w, _ in jobs})
    return routes.legs_for_jobs(
        jobs=jobs,
        ship_to=ship_to,
        places={pk: (float(w.latitude), float(w.longitude)) for pk, w in rows.items()},
        carriers=carriers,
        assembly_job=assembly_job,
        load=load,
    )
