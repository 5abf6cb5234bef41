"""What each role's dashboard shows: its own latest orders, jobs or legs; for operators,
queues to work through and the network's health."""

from __future__ import annotations

from django.db.models import Count, Q

from accounts.models import Organization
from marketplace.designs.models import DesignReport
from marketplace.network.models import (
    Machine,
    Workshop,
)
from marketplace.orders.models import Job, Order, Shipment


def operator_overview() -> dict:
    """What the operator console shows: queues to work through (live) and the network's
    health (counts and charts cached until what they count changes: ``freshness``)."""
    from billing.models import Payment
    from billing.selectors import billing_overview, platform_balances
    from marketplace.dashboards.freshness import console_figures_cached

    return {
        **console_figures_cached(),
        "pending_workshops": Workshop.objects.filter(
            verification_status=Workshop.Verification.PENDING
        ).select_related("organization"),
        "machines_down": machines_not_available(),
        "payments_waiting": Payment.objects.filter(
            provider="manual", status=Payment.Status.PENDING
        ).order_by("created_at")[:50],
        "disputes": Order.objects.filter(status="disputed").select_related("organization"),
        "design_reports": DesignReport.objects.filter(status="open").select_related(
            "design__organization", "reporter"
        ),
        "platform_balances": [
            (account, money) for account, money in platform_balances() if money.minor
        ],
        "billing": [revenue_chart(row) for row in billing_overview(days=30)],
    }


def machines_not_available():
    """Machines down or in maintenance, with their workshop, for the console's lists."""
    return Machine.objects.filter(~Q(status=Machine.Status.AVAILABLE)).select_related(
        "workshop__organization", "process"
    )


def revenue_chart(row) -> dict:
    """The platform's revenue per day as the revenue chart draws it (static/js/charts.js):
    integer minor units, one bar a day; a day the platform paid more than it earned (it
    covered a shortfall) is a bar below the axis, not a missing one."""
    return {
        "row": row,
        "chart": {
            "currency": row.currency,
            "days": [day.day.isoformat() for day in row.daily_revenue],
            "minor": [day.revenue.minor for day in row.daily_revenue],
        },
        "element_id": f"revenue-data-{row.currency}",
    }


DASHBOARD_ROWS = 8  # the latest few; the full lists are one click away


def customer_recent_orders(*, organization: Organization) -> list[Order]:
    """The customer's latest orders, newest first, for its dashboard."""
    return list(
        Order.objects.filter(organization=organization).order_by("-placed_at", "-pk")[
            :DASHBOARD_ROWS
        ]
    )


def workshop_open_jobs(*, workshop: Workshop) -> dict:
    """The jobs a workshop has to act on (offered, accepted, under way) and how many it has
    done, for its dashboard; the job board holds the rest."""
    jobs = Job.objects.filter(workshop=workshop)
    is_open = Q(status__in=[Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS])
    counts = jobs.aggregate(  # both counts in one query
        open=Count("pk", filter=is_open), done=Count("pk", filter=Q(status=Job.Status.DONE))
    )
    return {
        "open_jobs": list(
            jobs.filter(is_open)
            .select_related("order", "machine")
            .order_by("planned_start", "pk")[:DASHBOARD_ROWS]
        ),
        "open_job_count": counts["open"],
        "done_job_count": counts["done"],
    }


def carrier_open_legs(*, carrier) -> dict:
    """The legs a carrier still has to move, soonest first, and how many it has delivered."""
    legs = Shipment.objects.filter(carrier=carrier)
    is_waiting = Q(status__in=[Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT])
    counts = legs.aggregate(  # both counts in one query
        waiting=Count("pk", filter=is_waiting),
        delivered=Count("pk", filter=Q(status=Shipment.Status.DELIVERED)),
    )
    return {
        "open_legs": list(
            legs.filter(is_waiting)
            .select_related("order", "origin", "destination")
            .order_by("planned_departure", "pk")[:DASHBOARD_ROWS]
        ),
        "open_leg_count": counts["waiting"],
        "delivered_leg_count": counts["delivered"],
    }
