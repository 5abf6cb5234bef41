"""The operator console's counts and charts, cached until something they count changes.

They read every organization, order, verified workshop, machine, weekly hour and booking: a
few hundred milliseconds of Python on the demo network for figures that change far less often
than the console is opened. The token ``CONSOLE`` is replaced by every save or delete of those
models (``marketplace.network.page_cache``); the utilisation window moves every hour, so the
hour is part of the key. Queues to work through (pending workshops, payments, disputes) and the
billing figures stay live: billing writes claim rows with ``QuerySet.update``, which no signal
reports.
"""

from __future__ import annotations

from django.db.models import Count, F

from accounts.models import Organization
from marketplace.network.models import CapacityBooking, Machine, WeeklyAvailability, Workshop
from marketplace.network.page_cache import cached, replace_on_change
from marketplace.network.selectors import next_weeks, workshop_utilisation
from marketplace.orders.models import Order

CONSOLE = "operator-console"


def connect() -> None:
    """Every model the console's figures read (called from the app's ``ready``)."""
    replace_on_change(
        CONSOLE, [Organization, Order, Workshop, Machine, WeeklyAvailability, CapacityBooking]
    )


def console_figures() -> dict:
    """The counts and charts of the console, computed afresh."""
    by_kind = dict(
        Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    completed = Order.objects.filter(status="completed", delivered_at__isnull=False)
    completed_count = completed.count()
    on_time = completed.filter(delivered_at__lte=F("promised_delivery_at")).count()
    utilisation = workshop_utilisation()
    return {
        "organizations_by_kind": [
            (kind.label, by_kind.get(kind.value, 0)) for kind in Organization.Kind
        ],
        "orders_chart": {
            "labels": [label for _, label in Order.Status.choices],
            "values": [by_status.get(value, 0) for value, _ in Order.Status.choices],
        },
        "on_time_rate": round(100 * on_time / completed_count) if completed_count else None,
        "completed_count": completed_count,
        "utilisation": utilisation,
        "utilisation_chart": {
            "labels": [str(row["workshop"]) for row in utilisation],
            "values": [row["percent"] for row in utilisation],
            "unit": "%",
            "max": 100,
            "color": "#6b4c9a",
        },
    }


def console_figures_cached() -> dict:
    """``console_figures()``, from the cache while nothing it counts has changed this hour."""
    window_start, _ = next_weeks()
    return cached(CONSOLE, window_start.isoformat(), console_figures)
