"""What each role's dashboard shows: its own latest orders, jobs or legs; for operators,
queues to work through and the network's health."""

from __future__ import annotations

from django.db.models import Count, F, Q

from accounts.models import Organization
from marketplace.designs.models import DesignReport
from marketplace.network.models import (
    Machine,
    Workshop,
)
from marketplace.network.selectors import workshop_utilisation
from marketplace.orders.models import Job, Order, Shipment


def operator_overview() -> dict:
    """What the operator console shows: queues to work through and the network's health."""
    from billing.models import Payment
    from billing.selectors import billing_overview, platform_balances

    by_kind = dict(
        Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    completed = Order.objects.filter(status="completed", delivered_at__isnull=False)
    on_time = completed.filter(delivered_at__lte=F("promised_delivery_at")).count()
    orders_chart = [
        {"label": label, "count": by_status.get(value, 0)} for value, label in Order.Status.choices
    ]
    peak = max([row["count"] for row in orders_chart] + [1])
    for row in orders_chart:
        row["width"] = round(300 * row["count"] / peak)
    return {
        "organizations_by_kind": [
            (kind.label, by_kind.get(kind.value, 0)) for kind in Organization.Kind
        ],
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
        "orders_chart": orders_chart,
        "on_time_rate": round(100 * on_time / completed.count()) if completed.exists() else None,
        "completed_count": completed.count(),
        "platform_balances": [
            (account, money) for account, money in platform_balances() if money.minor
        ],
        "utilisation": workshop_utilisation(),
        "billing": [_with_chart(row) for row in billing_overview(days=30)],
    }


def machines_not_available():
    """Machines down or in maintenance, with their workshop, for the console's lists."""
    return Machine.objects.filter(~Q(status=Machine.Status.AVAILABLE)).select_related(
        "workshop__organization", "process"
    )


CHART_HEIGHT = 60  # px: bars stand on the baseline at y = 60


def _with_chart(row) -> dict:
    """Bars for the daily revenue chart (0-60 px, standing on the baseline). A day the
    platform paid more than it earned (it covered a shortfall) draws no bar; its amount is
    in the bar's title like every other day's."""
    peak = max([day.revenue.minor for day in row.daily_revenue] + [1])
    bars = []
    for index, day in enumerate(row.daily_revenue):
        height = max(0, round(CHART_HEIGHT * day.revenue.minor / peak))
        bars.append(
            {
                "x": index * 10,
                "y": CHART_HEIGHT - height,
                "h": height,
                "day": day.day,
                "revenue": day.revenue,
            }
        )
    return {"row": row, "bars": bars}


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
    return {
        "open_jobs": list(
            jobs.filter(
                status__in=[Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS]
            )
            .select_related("order", "machine")
            .order_by("planned_start", "pk")[:DASHBOARD_ROWS]
        ),
        "open_job_count": jobs.filter(
            status__in=[Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS]
        ).count(),
        "done_job_count": jobs.filter(status=Job.Status.DONE).count(),
    }


def carrier_open_legs(*, carrier) -> dict:
    """The legs a carrier still has to move, soonest first, and how many it has delivered."""
    legs = Shipment.objects.filter(carrier=carrier)
    waiting = legs.filter(status__in=[Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT])
    return {
        "open_legs": list(
            waiting.select_related("order", "origin", "destination").order_by(
                "planned_departure", "pk"
            )[:DASHBOARD_ROWS]
        ),
        "open_leg_count": waiting.count(),
        "delivered_leg_count": legs.filter(status=Shipment.Status.DELIVERED).count(),
    }
