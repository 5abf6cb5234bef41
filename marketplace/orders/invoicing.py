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


def invoice_lines_for(
    *, order: Order | None = None, option: QuoteOption | None = None
) -> list[LineSpec]:
    """The lines of the customer's invoice, summing exactly to the order's price: each
    process step and transport leg (the order's production and transport cost shared in
    proportion to their costs), the coordination margin and the platform fee."""
    if order is not None:
        price, margin, fee, currency = (
            order.price_minor,
            order.margin_minor,
            order.platform_fee_minor,
            order.currency,
        )
        items = [
            (f"{job.name} — {job.workshop}", job.cost_minor)
            for job in order.jobs.exclude(status__in=ENDED_JOBS).select_related("workshop")
        ] + [
            (
                f"Transport {leg.origin} to {leg.destination or 'you'} — {leg.carrier}",
                leg.cost_minor,
            )
            for leg in order.shipments.exclude(status__in=ENDED_LEGS).select_related(
                "origin", "destination", "carrier"
            )
        ]
    elif option is not None:
        price, margin, fee, currency = (
            option.price_minor,
            option.margin_minor,
            option.platform_fee_minor,
            option.currency,
        )
        route = option.route or {}
        items = [
            (
                f"{step.get('name', 'Step')} — {step.get('workshop_name', '')}",
                step.get("cost_minor", 0),
            )
            for step in route.get("steps", [])
        ] + [
            (f"Transport — {leg.get('carrier_name', '')}", leg.get("cost_minor", 0))
            for leg in route.get("legs", [])
        ]
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
