"""The lines of an order's invoice, and issuing it when the payment arrives.

Kept apart from the checkout so that ``services.order_mark_paid`` can issue the invoice
without importing the checkout (which places orders through ``services``).
"""

from __future__ import annotations

import logging

from billing import services as billing
from billing.errors import DomainError as BillingError
from billing.invoicing import LineSpec
from billing.models import Invoice
from billing.money import Money, allocate
from marketplace.orders.models import Job, Order, QuoteOption, Shipment

logger = logging.getLogger(__name__)

ENDED_JOBS = (Job.Status.SUPERSEDED, Job.Status.DECLINED, Job.Status.CANCELLED)
ENDED_LEGS = (Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED)


def _part_of(line) -> str:
    """What a step works on, as an invoice names goods: the part and how many ("Bracket × 4:
    "), or every part for a step of the whole order (assembly)."""
    if line is None:
        return "All parts: "
    return f"{line.revision.design.name} × {line.quantity}: "


def invoice_lines_for(
    *, order: Order | None = None, option: QuoteOption | None = None
) -> list[LineSpec]:
    """The lines of the customer's invoice, summing exactly to the order's price: each
    process step, named with its part and quantity, and each transport leg, from where to
    where (the order's production and transport cost shared in proportion to their costs),
    the coordination margin and the platform fee. Steps follow the plan; legs are sorted by
    their words, so the proforma of an option and the order's invoice list them alike."""
    if order is not None:
        price, margin, fee, currency = (
            order.price_minor,
            order.margin_minor,
            order.platform_fee_minor,
            order.currency,
        )
        jobs = (
            order.jobs.exclude(status__in=ENDED_JOBS)
            .select_related("workshop", "line__revision__design")
            .order_by("sequence", "pk")
        )
        items = [
            (f"{_part_of(job.line)}{job.name} — {job.workshop}", job.cost_minor) for job in jobs
        ] + sorted(
            (
                f"Transport {leg.origin} to {leg.destination or 'you'} — {leg.carrier}",
                leg.cost_minor,
            )
            for leg in order.shipments.exclude(status__in=ENDED_LEGS).select_related(
                "origin", "destination", "carrier"
            )
        )
    elif option is not None:
        price, margin, fee, currency = (
            option.price_minor,
            option.margin_minor,
            option.platform_fee_minor,
            option.currency,
        )
        route = option.route or {}
        steps = route.get("steps", [])
        lines = {line.pk: line for line in option.request.lines.select_related("revision__design")}
        workshops = {step.get("workshop_id"): step.get("workshop_name", "") for step in steps}
        items = [
            (
                f"{_part_of(lines.get(step.get('line_id')))}{step.get('name', 'Step')}"
                f" — {step.get('workshop_name', '')}",
                step.get("cost_minor", 0),
            )
            for step in steps
        ] + sorted(
            (
                f"Transport {workshops.get(leg.get('origin_workshop_id'), '')} to "
                f"{workshops.get(leg.get('destination_workshop_id')) or 'you'}"
                f" — {leg.get('carrier_name', '')}",
                leg.get("cost_minor", 0),
            )
            for leg in route.get("legs", [])
        )
    else:
        raise ValueError("Invoice lines need an order or an option.")
    work = Money(price - margin - fee, currency)
    lines: list[LineSpec] = []
    weights = [max(int(cost or 0), 0) for _label, cost in items]
    if items and any(weights) and work.minor > 0:
        shares = allocate(work, weights)
        lines += [LineSpec(label, share) for (label, _), share in zip(items, shares, strict=True)]
    elif work.minor:
        lines.append(LineSpec("Production and transport", work))
    if margin:
        lines.append(LineSpec("Coordination and margin", Money(margin, currency)))
    if fee:
        lines.append(LineSpec("Platform fee", Money(fee, currency)))
    return lines


def order_invoice_issue(*, order: Order) -> Invoice | None:
    """The order's VAT invoice, issued once when it is paid (billing numbers it). A refusal
    is logged, never raised: the payment stands, and an operator can issue it again."""
    try:
        return billing.invoice_issue(
            order_id=order.pk,
            reference=order.reference,
            buyer_organization=order.organization,
            lines=invoice_lines_for(order=order),
            currency=order.currency,
        )
    except BillingError as error:
        logger.error("Invoice of %s not issued: %s", order.reference, error.message)
        return None
