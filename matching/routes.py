"""Quote options, their steps and their legs as plain JSON (the contracts callers store).

The core answers in dataclasses with engine ids and minutes (``matching.quote_explain``); callers
store JSON with integer ids, ISO datetimes and minor units. These ``TypedDict``s are that
format, written once here for the quote options and for the legs of a re-planned order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal, TypedDict

from matching.estimation import CarrierSpec, transport_leg
from matching.quote_explain import CUSTOMER, QuotedOption, RouteLeg, RouteStep
from matching.snapshot import Snapshot
from matching.transport import SMALL_PARCEL, Consignment

__all__ = [
    "LineIndex",
    "OptionDict",
    "RouteLegDict",
    "RouteStepDict",
    "leg_dict",
    "legs_for_jobs",
    "option_dict",
    "route_leg_dict",
    "step_dict",
]

# Line id ("1", "2", ...) -> (index into the input's lines, revision id, caller's line id)
LineIndex = Mapping[str, tuple[int, int, int | None]]


class RouteStepDict(TypedDict):
    """A manufacturing step of an option; ``line`` is None for the assembly."""

    kind: Literal["step"]
    job: str
    line: int | None  # index into QuoteInput.lines
    revision_id: int | None
    line_id: int | None  # QuoteLineInput.line_id
    step: str
    name: str
    process: str
    workshop_id: int
    workshop_name: str
    machine_id: int
    machine_name: str
    start: str  # ISO datetime
    end: str  # ISO datetime
    minutes: int
    cost_minor: int
    co2_g: int
    runner_up_workshop_id: int | None
    runner_up_machine_id: int | None
    runner_up_cost_minor: int | None
    estimate_cost_minor: int | None  # the median estimate: bounds the runner-up for sharing
    why: str


class RouteLegDict(TypedDict):
    """A transport leg; ``destination_workshop_id`` is None for the delivery to the customer."""

    kind: Literal["leg"]
    job: str
    origin_workshop_id: int
    destination_workshop_id: int | None
    to_customer: bool
    carrier_id: int
    carrier_name: str
    depart: str  # ISO datetime
    arrive: str  # ISO datetime
    km: float
    cost_minor: int
    co2_g: int
    runner_up_carrier_id: int | None
    runner_up_cost_minor: int | None
    estimate_cost_minor: int | None  # the median quote: bounds the runner-up for sharing


class OptionDict(TypedDict):
    """A quote option: ``price_minor = cost_minor + margin_minor + platform_fee_minor``."""

    labels: list[str]
    price_minor: int
    cost_minor: int
    margin_minor: int
    platform_fee_minor: int
    currency: str
    delivery_at: str  # ISO datetime
    co2_kg: float
    summary: str
    workshop_ids: list[int]  # in route order
    assembly_job: str | None
    steps: list[RouteStepDict]
    legs: list[RouteLegDict]
    route: list[RouteStepDict | RouteLegDict]  # steps and legs in time order


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None else None


def step_dict(s: RouteStep, snapshot: Snapshot, index: LineIndex) -> RouteStepDict:
    line = index.get(s.job)
    machine = snapshot.machine(s.machine)
    return {
        "kind": "step",
        "job": s.job,
        "line": line[0] if line else None,
        "revision_id": line[1] if line else None,
        "line_id": line[2] if line else None,
        "step": s.step,
        "name": s.name,
        "process": s.process,
        "workshop_id": int(s.workshop),
        "workshop_name": snapshot.workshop_names.get(s.workshop, ""),
        "machine_id": int(s.machine),
        "machine_name": machine.name if machine else "",
        "start": snapshot.at(s.start).isoformat(),
        "end": snapshot.at(s.end).isoformat(),
        "minutes": s.end - s.start,
        "cost_minor": s.cost,
        "co2_g": s.co2,
        "runner_up_workshop_id": _int_or_none(s.runner_up_workshop),
        "runner_up_machine_id": _int_or_none(s.runner_up_machine),
        "runner_up_cost_minor": s.runner_up_cost,
        "estimate_cost_minor": s.reference_cost,
        "why": s.why,
    }


def route_leg_dict(leg: RouteLeg, snapshot: Snapshot) -> RouteLegDict:
    return leg_dict(
        job=leg.job,
        origin=leg.origin,
        destination=None if leg.destination == CUSTOMER else leg.destination,
        carrier=leg.carrier,
        carrier_name=snapshot.carrier_names.get(leg.carrier, ""),
        depart=snapshot.at(leg.depart),
        minutes=leg.arrive - leg.depart,
        km=leg.km,
        cost=leg.cost,
        co2=leg.co2,
        runner_up_carrier=leg.runner_up_carrier,
        runner_up_cost=leg.runner_up_cost,
        reference_cost=leg.reference_cost,
    )


def leg_dict(
    *,
    job: str,
    origin: str,
    destination: str | None,
    carrier: str,
    carrier_name: str,
    depart: datetime,
    minutes: int,
    km: float,
    cost: int,
    co2: int,
    runner_up_carrier: str | None,
    runner_up_cost: int | None,
    reference_cost: int | None = None,
) -> RouteLegDict:
    """A leg from engine ids (``destination`` None: the customer) departing at ``depart``."""
    return {
        "kind": "leg",
        "job": job,
        "origin_workshop_id": int(origin),
        "destination_workshop_id": None if destination is None else int(destination),
        "to_customer": destination is None,
        "carrier_id": int(carrier),
        "carrier_name": carrier_name,
        "depart": depart.isoformat(),
        "arrive": (depart + timedelta(minutes=minutes)).isoformat(),
        "km": round(km, 1),
        "cost_minor": cost,
        "co2_g": co2,
        "runner_up_carrier_id": _int_or_none(runner_up_carrier),
        "runner_up_cost_minor": runner_up_cost,
        "estimate_cost_minor": reference_cost,
    }


def option_dict(
    o: QuotedOption, snapshot: Snapshot, index: LineIndex, assembly_job: str | None
) -> OptionDict:
    steps = [step_dict(s, snapshot, index) for s in o.steps]
    legs = [route_leg_dict(leg, snapshot) for leg in o.legs]
    by_id: dict[int, RouteStepDict | RouteLegDict] = {
        id(s): d for s, d in zip(o.steps, steps, strict=True)
    }
    by_id.update({id(leg): d for leg, d in zip(o.legs, legs, strict=True)})
    workshops: list[int] = []
    for s in steps:
        if s["workshop_id"] not in workshops:
            workshops.append(s["workshop_id"])
    return {
        "labels": list(o.labels),
        "price_minor": o.price,
        "cost_minor": o.cost,
        "margin_minor": o.margin,
        "platform_fee_minor": o.platform_fee,
        "currency": o.currency,
        "delivery_at": snapshot.at(o.delivery_minute).isoformat(),
        "co2_kg": round(o.co2_kg, 3),
        "summary": o.summary,
        "workshop_ids": workshops,
        "assembly_job": assembly_job,
        "steps": steps,
        "legs": legs,
        "route": [by_id[id(r)] for r in o.route],
    }


# -- transport legs of a plan -------------------------------------------------------------------


def legs_for_jobs(
    *,
    jobs: Sequence[tuple[str, int, datetime]],
    ship_to: tuple[float, float],
    places: Mapping[int, tuple[float, float]],
    carriers: Sequence[CarrierSpec],
    assembly_job: str | None = None,
    load: Consignment = SMALL_PARCEL,
) -> list[RouteLegDict]:
    """The transport legs of a plan, in the option format (``legs`` of a quote option).

    ``jobs`` are the plan's steps as ``(job_key, workshop_id, end)`` in route order;
    ``places`` the workshops' ``(lat, lon)`` by id. Legs join consecutive steps of a job at
    different workshops, every part's last workshop to the assembly's first, and the
    delivering jobs (the assembly, else every job) to ``ship_to``; each departs when the step
    before it ends, with the cheapest of ``carriers``, carrying ``load`` (the order's parts,
    as its quote priced its legs: ``matching.quote_answers.consignment_for``).
    """
    if not carriers or not jobs:
        return []
    place = {str(pk): latlon for pk, latlon in places.items()}
    names = {c.id: c.name for c in carriers}
    by_job: dict[str, list[tuple[str, datetime]]] = {}
    for key, workshop_id, end in jobs:
        by_job.setdefault(key, []).append((str(workshop_id), end))
    legs: list[RouteLegDict] = []

    def add(job: str, a: str, b: str | None, depart: datetime) -> None:
        if a == b:
            return
        q = transport_leg(place[a], place[b] if b is not None else ship_to, carriers, load)
        legs.append(
            leg_dict(
                job=job,
                origin=a,
                destination=b,
                carrier=q.carrier,
                carrier_name=names.get(q.carrier, ""),
                depart=depart,
                minutes=q.minutes,
                km=q.km,
                cost=q.cost,
                co2=q.co2,
                runner_up_carrier=q.runner_up_carrier,
                runner_up_cost=q.runner_up_cost,
                reference_cost=q.reference_cost,
            )
        )

    for job, steps in by_job.items():
        for (a, end), (b, _) in pairwise(steps):
            add(job, a, b, end)
    delivering = list(by_job)
    if assembly_job in by_job:
        first = by_job[assembly_job][0][0]
        for job, steps in by_job.items():
            if job != assembly_job:
                add(job, steps[-1][0], first, steps[-1][1])
        delivering = [assembly_job]
    for job in delivering:
        workshop, end = by_job[job][-1]
        add(job, workshop, None, end)
    return legs
