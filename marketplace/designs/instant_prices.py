"""Instant prices on the design page: what an analysed part costs per process and material at
a few quantities, before the customer asks for a quote.

Each figure is `parts.part_prices` (the matcher asked as a quote asks it, on the network as it
is now, under the design's confidentiality rule). A solve takes a fraction of a second per
material and quantity, so the page loads the table after itself from a small JSON endpoint,
and every figure is cached per revision, quantity and network state: any save of what the
matcher reads (machines, their hours, closures, bookings, workshops, carriers, the catalog)
replaces the token the figures are stored under, and the hour is part of the key because free
machine time moves with the clock. A reload costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from marketplace.designs import parts
from marketplace.designs.confidential import confidentiality_rule_of
from marketplace.designs.models import DesignRevision
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    CarrierRate,
    Finish,
    Machine,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
)
from marketplace.network.page_cache import cached, replace_on_change
from marketplace.templatetags.money import money
from matching.confidentiality import ConfidentialityRule

QUANTITY_BREAKS = (1, 10, 100)  # pieces
PRICES = "design-prices"  # the version token every instant price is stored under

State = Literal["ready", "none", "waiting", "failed", "blocked"]


def connect() -> None:
    """Every model the matcher's network snapshot reads (called from the app's ``ready``)."""
    replace_on_change(
        PRICES,
        [
            Workshop,
            Machine,
            WeeklyAvailability,
            CapacityException,
            CapacityBooking,
            Carrier,
            CarrierRate,
            Material,
            Process,
            Finish,
        ],
        m2m=[
            Machine.materials.through,
            Material.processes.through,
            Workshop.certifications.through,
        ],
    )


@dataclass(frozen=True)
class PriceTable:
    """The design page's price table, or in words why there is none (``state`` != ready)."""

    state: State
    message: str = ""
    rows: Sequence[dict[str, Any]] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "message": self.message,
            "quantities": list(QUANTITY_BREAKS),
            "rows": list(self.rows),
        }


def _rule_key(rule: ConfidentialityRule | None) -> list[list[str]] | None:
    if rule is None:
        return None
    return [sorted(rule.certifications), sorted(rule.countries), sorted(rule.workshops)]


def revision_prices_at(
    *,
    revision: DesignRevision,
    quantity: int,
    rule: ConfidentialityRule | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """``parts.part_prices`` for the revision at ``quantity``, cached until the network
    changes or the hour turns."""
    hour = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    key = json.dumps(
        [
            revision.pk,
            revision.analysed_at.isoformat() if revision.analysed_at else None,
            quantity,
            hour.isoformat(),
            _rule_key(rule),
        ]
    )
    return cached(
        PRICES,
        key,
        lambda: parts.part_prices(
            analysis=revision.analysis, quantity=quantity, confidentiality=rule
        ),
    )


def _unit_minor(total_minor: int, quantity: int) -> int:
    """The price of one piece, rounded half up to the minor unit (the total is exact)."""
    return (2 * total_minor + quantity) // (2 * quantity)


def _break(price: dict, quantity: int, design_id: int) -> dict[str, Any]:
    total, currency = price["price_minor"], price["currency"]
    unit = _unit_minor(total, quantity)
    delivery = datetime.fromisoformat(price["delivery_at"])
    query = urlencode({"design": design_id, "material": price["material"], "quantity": quantity})
    return {
        "quantity": quantity,
        "unit_minor": unit,
        "total_minor": total,
        "currency": currency,
        "unit": money(unit, currency),
        "total": money(total, currency),
        "delivery_at": price["delivery_at"],
        "delivery": date_format(timezone.localtime(delivery), "D j M Y"),
        "quote_url": f"{reverse('quote_new')}?{query}",
    }


def _refusal(revision: DesignRevision) -> PriceTable | None:
    """Why the revision cannot be priced, in words; None when it can."""
    design = revision.design
    if design.blocked:
        return PriceTable(
            "blocked",
            f"An operator blocked this design, so it cannot be quoted: {design.blocked_reason}",
        )
    if revision.status in (DesignRevision.Status.QUEUED, DesignRevision.Status.ANALYSING):
        return PriceTable(
            "waiting", "The analysis is still running: prices follow as soon as it has finished."
        )
    if revision.status == DesignRevision.Status.FAILED:
        return PriceTable("failed", "The file could not be read, so it cannot be priced.")
    if not revision.is_quotable:
        return PriceTable(
            "blocked",
            "Error findings block quoting this revision: upload a fixed file, or accept the "
            "findings with a reason, to see prices.",
        )
    return None


def revision_price_table(*, revision: DesignRevision) -> PriceTable:
    """The cheapest option per shaping process at each of ``QUANTITY_BREAKS``: one row per
    process and material, cheapest first, with unit price, total, delivery date and a link to
    the quote form with that material and quantity."""
    refusal = _refusal(revision)
    if refusal is not None:
        return refusal
    rule = confidentiality_rule_of(revision.design)
    now = timezone.now()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for quantity in QUANTITY_BREAKS:
        for price in revision_prices_at(revision=revision, quantity=quantity, rule=rule, now=now):
            row = rows.setdefault(
                (price["process"], price["material"]),
                {
                    "process": price["process"],
                    "process_name": price["process_name"],
                    "material": price["material"],
                    "material_name": price["material_name"],
                    "breaks": {},
                },
            )
            row["breaks"][quantity] = _break(price, quantity, revision.design_id)
    if not rows:
        return PriceTable(
            "none",
            "No workshop can make this part yet: none of the network's processes and "
            "materials can take it as it is.",
        )
    listed = [
        {**row, "breaks": [row["breaks"].get(quantity) for quantity in QUANTITY_BREAKS]}
        for row in rows.values()
    ]
    listed.sort(key=lambda row: (*_first_total(row), row["process_name"], row["material_name"]))
    return PriceTable("ready", "", tuple(listed))


def _first_total(row: dict[str, Any]) -> tuple[int, int]:
    """Cheapest first: by the smallest quantity priced, then its total."""
    for index, cell in enumerate(row["breaks"]):
        if cell is not None:
            return (index, cell["total_minor"])
    return (len(QUANTITY_BREAKS), 0)
