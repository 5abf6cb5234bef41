"""Quote requests: stored, checked, and solved by the matcher at once or in the background."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import member_user_ids
from config.live import publish_to_users_on_commit
from marketplace.designs.models import DesignRevision
from marketplace.errors import PermissionDenied, QuoteInvalid
from marketplace.network.models import Finish, Material
from marketplace.orders import matcher
from marketplace.orders.models import (
    QuoteLine,
    QuoteOption,
    QuoteRequest,
)
from marketplace.orders.tasks import quote_solve_task

# The most pieces one quote line may ask for: more is a production contract, not a quote (and
# 2**31 overflows the stored quantity).
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class LineSpec:
    revision: DesignRevision
    material: Material
    finish: Finish | None
    quantity: int
    tolerance: str = QuoteRequest.Tolerance.STANDARD


@dataclass(frozen=True)
class ShipTo:
    name: str
    address: str
    city: str
    country: str
    latitude: float
    longitude: float


def quote_request_create(
    *,
    user: User,
    organization: Organization,
    lines: list[LineSpec],
    ship_to: ShipTo,
    due_at: datetime | None = None,
) -> QuoteRequest:
    """Records what the customer asks for and finds the options.

    Small requests are solved within the call; large ones on the `matching` queue, with the
    result arriving live (`quote.ready`).
    """
    require_membership(user=user, organization=organization)
    if organization.kind != Organization.Kind.CUSTOMER:
        raise PermissionDenied("Quotes are asked for by customer organizations.")
    if not lines:
        raise QuoteInvalid("Add at least one design to the quote.")
    for line in lines:
        if line.revision.design.organization_id != organization.pk:
            raise QuoteInvalid("Quote only your own designs.")
        if line.revision.design.blocked:
            raise QuoteInvalid(
                f"{line.revision.design} was blocked by an operator: "
                f"{line.revision.design.blocked_reason}"
            )
        if not line.revision.is_analysed:
            raise QuoteInvalid(f"{line.revision.design} is not analysed yet; wait a moment.")
        if not line.revision.is_quotable:
            findings = "; ".join(f["message"] for f in line.revision.error_findings)
            raise QuoteInvalid(
                f"{line.revision.design} has errors in its analysis ({findings}). Upload a "
                "fixed file, or accept the findings with a reason on the design's page."
            )
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise QuoteInvalid(f"Quantities must be from 1 to {MAX_QUANTITY:,}.")
    if due_at is not None and due_at <= timezone.now():
        raise QuoteInvalid("The due date must lie in the future.")
    with transaction.atomic():
        request = QuoteRequest.objects.create(
            organization=organization,
            created_by=user,
            due_at=due_at,
            ship_to_name=ship_to.name,
            ship_to_address=ship_to.address,
            ship_to_city=ship_to.city,
            ship_to_country=ship_to.country.upper(),
            ship_to_latitude=ship_to.latitude,
            ship_to_longitude=ship_to.longitude,
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                request=request,
                revision=line.revision,
                material=line.material,
                finish=line.finish,
                quantity=line.quantity,
                tolerance=line.tolerance,
            )
            for line in lines
        )
    if matcher.size_of(matcher.quote_input_of(request)) <= settings.QUOTE_SYNC_MAX_SIZE:
        quote_solve(quote_request_id=request.pk)
    else:
        transaction.on_commit(lambda: quote_solve_task.delay(request.pk))
    request.refresh_from_db()
    return request


def quote_solve(*, quote_request_id: int) -> QuoteRequest:
    """Runs the matcher for a request and stores its options (the `quote` solver)."""
    request = QuoteRequest.objects.get(pk=quote_request_id)
    started = timezone.now()
    result = matcher.quote_for(
        matcher.quote_input_of(request),
        now=started,
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        margin_bp=settings.QUOTE_MARGIN_BP,
        platform_fee_bp=settings.PLATFORM_FEE_BP,
    )
    with transaction.atomic():
        request = QuoteRequest.objects.select_for_update().get(pk=quote_request_id)
        request.options.all().delete()
        for rank, option in enumerate(result.options):
            QuoteOption.objects.create(
                request=request,
                rank=rank,
                labels=option["labels"],
                price_minor=option["price_minor"],
                cost_minor=option["cost_minor"],
                margin_minor=option["margin_minor"],
                platform_fee_minor=option["platform_fee_minor"],
                currency=option["currency"],
                delivery_at=parse_datetime(option["delivery_at"]),
                co2_g=round(option["co2_kg"] * 1000),
                summary=option.get("summary", ""),
                route=option,
            )
        request.status = (
            QuoteRequest.Status.READY if result.options else QuoteRequest.Status.INFEASIBLE
        )
        request.reasons = list(result.reasons)
        request.earliest_delivery_at = parse_datetime(result.earliest) if result.earliest else None
        request.valid_until = timezone.now() + timedelta(hours=settings.QUOTE_VALIDITY_HOURS)
        request.solve_seconds = (timezone.now() - started).total_seconds()
        request.save()
        publish_to_users_on_commit(
            member_user_ids(request.organization.pk),
            {"type": "quote.ready", "data": {"quote": request.pk, "status": request.status}},
        )
    return request
