"""What a workshop needs at the machine and a carrier at the dock: one job's or one leg's card.

Both read through ``order_for_party``, so a card shows exactly what the order page would show
the same user, and the part file only through ``DesignRevision.objects.visible_to`` (a
workshop that no longer holds the step loses the file with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from marketplace.designs.models import DesignRevision
from marketplace.errors import NotFound
from marketplace.orders.models import Job, QuoteLine, Shipment
from marketplace.orders.selectors import order_for_party

GRAMS_PER_KG = 1000
MM3_PER_CM3 = 1000


@dataclass(frozen=True)
class PartSpec:
    """One order line as the shop floor and the carrier read it."""

    line: QuoteLine
    revision: DesignRevision
    may_download: bool
    bbox_mm: list[float] | None
    weight_g: int | None  # the whole quantity, parts only (no packaging)

    @property
    def name(self) -> str:
        return self.revision.design.name

    @property
    def weight_text(self) -> str:
        return mass_text(self.weight_g)


@dataclass(frozen=True)
class JobCard:
    job: Job
    part: PartSpec | None
    currency: str
    may_act: bool


@dataclass(frozen=True)
class LegCard:
    leg: Shipment
    parts: list[PartSpec]
    pickup: dict
    delivery: dict
    weight_g: int | None
    parcel_mm: list[float] | None
    pickup_from: datetime
    deliver_by: datetime

    @property
    def weight_text(self) -> str:
        return mass_text(self.weight_g)


def mass_text(grams: int | None) -> str:
    """A mass as people write it on a parcel label: grams below a kilogram, else kg."""
    if grams is None:
        return "not known"
    if grams < GRAMS_PER_KG:
        return f"{grams} g"
    return f"{grams / GRAMS_PER_KG:.1f} kg"


def part_weight_g(*, volume_mm3: float | None, density_g_cm3, quantity: int) -> int | None:
    """Mass of `quantity` solid parts from the analysed volume and the material's density."""
    if volume_mm3 is None or density_g_cm3 is None:
        return None
    grams = Decimal(str(volume_mm3)) / MM3_PER_CM3 * Decimal(str(density_g_cm3)) * quantity
    return int(grams.to_integral_value())


def _part_spec(line: QuoteLine, *, visible: set[int]) -> PartSpec:
    revision = line.revision
    analysis = revision.analysis or {}
    return PartSpec(
        line=line,
        revision=revision,
        may_download=revision.pk in visible,
        bbox_mm=revision.bbox_mm,
        weight_g=part_weight_g(
            volume_mm3=analysis.get("volume_mm3"),
            density_g_cm3=line.material.density_g_cm3,
            quantity=line.quantity,
        ),
    )


def _visible_revisions(user, revision_ids: list[int]) -> set[int]:
    return set(
        DesignRevision.objects.visible_to(user)
        .filter(pk__in=revision_ids)
        .values_list("pk", flat=True)
    )


def job_card_for(*, job_id: int, user) -> JobCard:
    """One job as its workshop (or the order's customer or an operator) may see it."""
    job = Job.objects.filter(pk=job_id).only("order_id").first()
    if job is None:
        raise NotFound("No such job.")
    view = order_for_party(order_id=job.order_id, user=user)
    job = next((j for j in view.jobs if j.pk == job_id), None)
    if job is None:
        raise NotFound("No such job.")
    part = None
    if job.line_id is not None:
        line = QuoteLine.objects.select_related("revision__design", "material", "finish").get(
            pk=job.line_id
        )
        part = _part_spec(line, visible=_visible_revisions(user, [line.revision_id]))
    return JobCard(
        job=job,
        part=part,
        currency=view.order.currency,
        may_act=job.workshop.organization_id in view.organization_ids,
    )


def _parcel_mm(parts: list[PartSpec]) -> list[float] | None:
    """The smallest box every part fits in on its own, sides sorted: a lower bound the
    packer rounds up, shown so the carrier knows the size class."""
    boxes = [sorted(p.bbox_mm, reverse=True) for p in parts if p.bbox_mm]
    if not boxes:
        return None
    return [round(max(box[axis] for box in boxes), 1) for axis in range(3)]


def leg_card_for(*, shipment_id: int, user) -> LegCard:
    """One leg as its carrier, its sender and receiver, the customer or an operator see it."""
    leg = Shipment.objects.filter(pk=shipment_id).only("order_id").first()
    if leg is None:
        raise NotFound("No such shipment.")
    view = order_for_party(order_id=leg.order_id, user=user)
    leg = next((s for s in view.shipments if s.pk == shipment_id), None)
    if leg is None:
        raise NotFound("No such shipment.")
    request = view.order.option.request
    lines = list(
        request.lines.select_related("revision__design", "material", "finish").order_by("pk")
    )
    line_ids = set(
        Job.objects.filter(order_id=leg.order_id, job_key=leg.job_key)
        .exclude(line=None)
        .values_list("line_id", flat=True)
    )
    carried = [line for line in lines if line.pk in line_ids] or lines
    visible = _visible_revisions(user, [line.revision_id for line in carried])
    parts = [_part_spec(line, visible=visible) for line in carried]
    weights = [p.weight_g for p in parts]
    origin = leg.origin
    if leg.destination is not None:
        delivery = {
            "name": str(leg.destination),
            "address": leg.destination.address,
            "city": leg.destination.city,
            "country": leg.destination.country,
        }
    else:
        delivery = {
            "name": request.ship_to_name,
            "address": request.ship_to_address,
            "city": request.ship_to_city,
            "country": request.ship_to_country,
        }
    return LegCard(
        leg=leg,
        parts=parts,
        pickup={
            "name": str(origin),
            "address": origin.address,
            "city": origin.city,
            "country": origin.country,
        },
        delivery=delivery,
        weight_g=None if None in weights else sum(weights),
        parcel_mm=_parcel_mm(parts),
        pickup_from=leg.planned_departure,
        deliver_by=leg.planned_arrival,
    )
