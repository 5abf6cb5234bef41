"""Reads of quotes, orders, jobs and shipments as each party may see them; plan charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.selectors import is_operator, organization_ids_of
from marketplace.errors import NotFound
from marketplace.network.geo import MapLine, MapPoint, NetworkMap, network_map
from marketplace.network.models import (
    Carrier,
    Workshop,
)
from marketplace.orders.inspection import steps_inspected_by
from marketplace.orders.models import Job, Order, QuoteRequest, Shipment
from matching.routes import OptionDict


def orders_visible_to(*, user) -> QuerySet[Order]:
    return (
        Order.objects.visible_to(user)
        .select_related("organization", "option__request")
        .order_by("-placed_at")
    )


def orders_listed_for(*, user) -> QuerySet[Order]:
    """``orders_visible_to`` for lists: without each option's route, a JSON document per
    order that no list shows."""
    return orders_visible_to(user=user).defer("option__route")


def order_get_for_member(*, order_id: int, user) -> Order:
    """An order the user may see: its customer, the workshops and carriers on it, operators."""
    order = orders_visible_to(user=user).filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


@dataclass(frozen=True)
class OrderForParty:
    """An order as one user may see it: every step and leg for its customer and operators,
    only their own steps or legs for a workshop or a carrier. The page and the API both use it.
    """

    order: Order
    organization_ids: frozenset[int]
    is_customer: bool
    is_operator: bool
    jobs: list[Job]
    shipments: list[Shipment]

    @property
    def sees_everything(self) -> bool:
        """Prices, payment, the route map and every party: the customer and operators only."""
        return self.is_customer or self.is_operator


def order_for_party(*, order_id: int, user) -> OrderForParty:
    """The order with the steps and legs this user may see (NotFound when none); a workshop
    also sees the finished steps its inspection step checks."""
    order = order_get_for_member(order_id=order_id, user=user)
    ids = organization_ids_of(user=user)
    is_customer = order.organization_id in ids
    operator = is_operator(user=user)
    # Read through the order's managers, each row already knows its order: no join to it,
    # neither for the rows nor for sorting by the models' first key (the order).
    jobs = list(
        order.jobs.select_related("workshop__organization", "machine", "process").order_by(
            "sequence", "pk"
        )
    )
    shipments = list(
        order.shipments.exclude(status=Shipment.Status.SUPERSEDED)
        .select_related(
            "origin__organization", "destination__organization", "carrier__organization"
        )
        .order_by("planned_departure", "pk")
    )
    if not (is_customer or operator):
        inspected = {j.pk for j in steps_inspected_by(jobs=jobs, organization_ids=ids)}
        jobs = [
            job
            for job in jobs
            if (job.workshop.organization_id in ids and job.status in Job.HELD)
            or job.pk in inspected
        ]
        shipments = [
            leg
            for leg in shipments
            if leg.sender_organization_ids & ids or leg.receiver_organization_ids & ids
        ]
    return OrderForParty(order, ids, is_customer, operator, jobs, shipments)


def order_money_visible(*, user) -> Callable[[Order], bool]:
    """Whether the user sees an order's price in lists: its customer and operators do, the
    workshops and carriers on it see only their own pay."""
    if is_operator(user=user):
        return lambda order: True
    ids = organization_ids_of(user=user)
    return lambda order: order.organization_id in ids


def held_by_workshops(organization_ids) -> Q:
    """The jobs a workshop sees: those it holds (offered to it, accepted, under way or done),
    as ``Order.objects.visible_to`` reads them; a planned (unpaid), declined, moved or
    cancelled job is not its to read. Done jobs stay, for its history and payouts."""
    return Q(workshop__organization__in=organization_ids, status__in=Job.HELD)


def job_get_for_workshop_member(*, job_id, user, related: Sequence[str] = ()) -> Job:
    """A job one of the user's workshops holds (``held_by_workshops``); any other is not
    found, the job page's rule too."""
    job = (
        Job.objects.filter(held_by_workshops(organization_ids_of(user=user)), pk=job_id)
        .select_related(*related)
        .first()
    )
    if job is None:
        raise NotFound("No such job on your job board.")
    return job


def job_get_for_party(*, job_id, user) -> Job:
    """A job its workshop or its order's customer may see, any job for operators. Who may
    act on it is the service's rule (a customer sees a delay but does not report it)."""
    jobs = Job.objects.all()
    if not is_operator(user=user):
        ids = organization_ids_of(user=user)
        jobs = jobs.filter(held_by_workshops(ids) | Q(order__organization__in=ids))
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job on your job board.")
    return job


def shipment_get_for_party(*, shipment_id, user, related: Sequence[str] = ()) -> Shipment:
    """A leg the user takes part in: its carrier, either workshop, the order's customer, or
    an operator. Whether they may hand it over or receive it is the leg's own rule
    (``Shipment.can_hand_over``/``can_receive``), enforced again by the services."""
    legs = Shipment.objects.select_related(*related)
    if not is_operator(user=user):
        ids = organization_ids_of(user=user)
        legs = legs.filter(
            Q(order__organization_id__in=ids)
            | Q(carrier__organization_id__in=ids)
            | Q(origin__organization_id__in=ids)
            | Q(destination__organization_id__in=ids)
        )
    leg = legs.filter(pk=shipment_id).first()
    if leg is None:
        raise NotFound("No such transport leg.")
    return leg


def quote_get_for_member(*, quote_id: int, user) -> QuoteRequest:
    quote = (
        QuoteRequest.objects.filter(pk=quote_id, organization__memberships__user=user)
        .prefetch_related("options", "lines__revision__design", "lines__material", "lines__finish")
        .first()
    )
    if quote is None:
        raise NotFound("No such quote.")
    return quote


def jobs_for_workshop(*, workshop: Workshop) -> QuerySet[Job]:
    """The workshop's job board, API list and export: the jobs it holds (``Job.HELD``)."""
    return (
        Job.objects.filter(workshop=workshop, status__in=Job.HELD)
        .select_related("order", "machine", "process", "line__revision__design")
        .order_by("planned_start")
    )


def jobs_on_record_of(*, workshop: Workshop) -> QuerySet[Job]:
    """The jobs an organization's export keeps for the workshop: those it holds and those it
    declined or saw cancelled, its own record of what it was given; not planned (never
    offered) nor moved ones."""
    return (
        Job.objects.filter(workshop=workshop)
        .exclude(status__in=[Job.Status.PLANNED, Job.Status.SUPERSEDED])
        .select_related("order", "machine", "process", "line__revision__design")
        .order_by("planned_start")
    )


def jobs_gone_from(*, workshop: Workshop, limit: int = 20) -> list[Job]:
    """The workshop's jobs that left its board (newest first): declined, cancelled, or given
    to another workshop by a re-plan, so that a step does not vanish without a word. The board
    names them; their pages and the API no longer show them (``jobs_for_workshop``). A step
    re-offered to the same workshop is not listed: its new job is on the board."""
    from django.db.models import Exists, OuterRef

    kept_here = Job.objects.filter(
        order=OuterRef("order"),
        job_key=OuterRef("job_key"),
        step_key=OuterRef("step_key"),
        workshop=workshop,
    ).exclude(status=Job.Status.SUPERSEDED)
    return list(
        Job.objects.filter(workshop=workshop)
        .alias(kept_here=Exists(kept_here))
        .filter(
            Q(status__in=[Job.Status.DECLINED, Job.Status.CANCELLED])
            | Q(status=Job.Status.SUPERSEDED, kept_here=False)
        )
        .select_related("order", "machine", "process", "line__revision__design")
        .order_by("-planned_start", "-pk")[:limit]
    )


def shipments_for_carrier(*, carrier: Carrier) -> QuerySet[Shipment]:
    return (
        Shipment.objects.filter(carrier=carrier)
        .exclude(status=Shipment.Status.SUPERSEDED)
        .select_related("order", "origin__organization", "destination__organization", "carrier")
        .order_by("planned_departure")
    )


@dataclass(frozen=True)
class TransportTotal:
    """What an option's legs add up to: shown beside the option's total, so a customer sees
    how much of the price and the CO2 moving the parts takes."""

    legs: int
    cost_minor: int
    co2_g: int


def transport_total(legs: Sequence[dict]) -> TransportTotal:
    return TransportTotal(
        legs=len(legs),
        cost_minor=sum(int(leg.get("cost_minor") or 0) for leg in legs),
        co2_g=sum(int(leg.get("co2_g") or 0) for leg in legs),
    )


def gantt_for(
    *, steps: list[dict], legs: list[dict], currency: str = "", element_id: str = "gantt-data"
) -> dict:
    """A plan as the Gantt chart draws it (static/js/charts.js): one row per step or leg in
    time order, with what the tooltip says. Prices are integer minor units; a row without
    ``cost_minor`` (someone else's price) shows none. ``element_id`` names the data's script
    element, one per chart on a page."""
    rows = [
        {
            "kind": "step",
            "label": f"{s['name']} · {s.get('workshop_name', '')}",
            "name": s["name"],
            "workshop": s.get("workshop_name", ""),
            "machine": s.get("machine_name", ""),
            "start": s["start"],
            "end": s["end"],
            "cost_minor": s.get("cost_minor"),
        }
        for s in steps
    ] + [
        {
            "kind": "leg",
            "label": f"Transport · {leg.get('carrier_name', '')}",
            "name": "Transport",
            "carrier": leg.get("carrier_name", ""),
            "km": round(float(leg.get("km") or 0)),
            "start": leg["depart"],
            "end": leg["arrive"],
            "cost_minor": leg.get("cost_minor"),
        }
        for leg in legs
    ]
    rows.sort(key=lambda row: (datetime.fromisoformat(row["start"]), row["kind"] == "leg"))
    return {"rows": rows, "currency": currency, "element_id": element_id}


def order_gantt(view: OrderForParty) -> dict:
    """The Gantt of an order's live plan as one party sees it: a price only on the rows that
    are the viewer's own (or for the customer and operators, every row)."""
    mine = view.organization_ids
    retired = (Job.Status.SUPERSEDED, Job.Status.DECLINED, Job.Status.CANCELLED)
    return gantt_for(
        steps=[
            {
                "name": job.name,
                "workshop_name": str(job.workshop),
                "machine_name": job.machine.name,
                "start": job.planned_start.isoformat(),
                "end": job.planned_end.isoformat(),
                "cost_minor": job.cost_minor
                if view.sees_everything or job.workshop.organization_id in mine
                else None,
            }
            for job in view.jobs
            if job.status not in retired
        ],
        legs=[
            {
                "carrier_name": str(leg.carrier),
                "depart": leg.planned_departure.isoformat(),
                "arrive": leg.planned_arrival.isoformat(),
                "km": leg.km,
                "cost_minor": leg.cost_minor
                if view.sees_everything or leg.carrier.organization_id in mine
                else None,
            }
            for leg in view.shipments
            if leg.status != Shipment.Status.CANCELLED
        ],
        currency=view.order.currency,
    )


LIVE_JOB_STATUSES = frozenset(
    {Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS}
    | {Job.Status.DONE}
)


def live_route(*, jobs: list[Job], shipments: list[Shipment]) -> dict:
    """The order's route as it stands now, in the shape of a quote option's route: the
    workshops of its live steps and its live legs. A re-plan changes jobs and legs, not the
    quote, so the order's map reads this rather than the option it was bought from."""
    workshop_ids: list[int] = []
    for job in sorted(jobs, key=lambda j: (j.planned_start, j.sequence, j.pk)):
        if job.status in LIVE_JOB_STATUSES and job.workshop_id not in workshop_ids:
            workshop_ids.append(job.workshop_id)
    legs = [
        {
            "origin_workshop_id": leg.origin_id,
            "destination_workshop_id": leg.destination_id,
            "carrier_name": str(leg.carrier),
            "km": float(leg.km),
        }
        for leg in shipments
        if leg.status not in (Shipment.Status.CANCELLED, Shipment.Status.SUPERSEDED)
    ]
    return {"workshop_ids": workshop_ids, "legs": legs}


def route_map_for(*, option: OptionDict, ship_to: tuple[float, float]) -> NetworkMap:
    """The route of a plan on the map: workshops in order, legs as arrows, the customer last."""
    workshops = Workshop.objects.select_related("organization").in_bulk(
        option.get("workshop_ids", [])
    )  # one query: each dot's title names the workshop's organization
    points = [
        MapPoint(
            lat=float(w.latitude),
            lon=float(w.longitude),
            label=w.city,
            kind="workshop",
            title=f"{w} — {w.city}",
        )
        for w in workshops.values()
    ]
    customer = MapPoint(
        lat=ship_to[0], lon=ship_to[1], label="You", kind="customer", title="Delivery address"
    )
    points.append(customer)
    lines = []
    for leg in option.get("legs", []):
        origin = workshops.get(leg["origin_workshop_id"])
        target = workshops.get(leg.get("destination_workshop_id"))
        if origin is None:
            continue
        lines.append(
            MapLine(
                from_lat=float(origin.latitude),
                from_lon=float(origin.longitude),
                to_lat=float(target.latitude) if target else customer.lat,
                to_lon=float(target.longitude) if target else customer.lon,
                label=f"{leg.get('carrier_name', '')}, {leg['km']:.0f} km",
            )
        )
    return network_map(points, lines, title="Route of this option")
