"""The simulated clock both simulations run on, the periodic work it drives, and the settings
they share (the simulated payment provider, quick quotes, one solver worker)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import time_machine
from django.db.models import Max
from django.test import override_settings

from accounts.models import Organization, User
from billing.models import LedgerTransaction
from billing.payments import refunds_retry
from billing.settlement import settlement_run_due
from config.errors import DomainError
from marketplace.demo.simulated_network import Network, member_of
from marketplace.demo.simulated_provider import PROVIDER
from marketplace.network.models import CapacityBooking
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import Order

logger = logging.getLogger(__name__)

START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday morning
TICK = timedelta(hours=6)  # housekeeping, refund retries and the settlement run, this often


def simulation_settings() -> override_settings:
    """Payments through ``SimulatedProvider``, quotes solved at once within a second on one
    worker (so a seed replays the same plans), e-mail kept in memory."""
    return override_settings(
        PAYMENT_PROVIDER=PROVIDER,
        PAYMENT_PROVIDER_CLASSES={
            PROVIDER: "marketplace.demo.simulated_provider.SimulatedProvider"
        },
        QUOTE_TIME_LIMIT_S=1.0,
        QUOTE_SYNC_MAX_SIZE=10**6,
        MATCHING_WORKERS=1,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )


def start_moment() -> datetime:
    """START on a fresh database; after everything already booked or posted otherwise, so a
    second run in the same database is not mixed into the first one's weeks."""
    latest = [
        CapacityBooking.objects.aggregate(m=Max("ends_at"))["m"],
        LedgerTransaction.objects.aggregate(m=Max("created_at"))["m"],
        Order.objects.aggregate(m=Max("placed_at"))["m"],
    ]
    latest = [m for m in latest if m is not None]
    if not latest or max(latest) < START:
        return START
    day = (max(latest) + timedelta(days=7)).date()
    monday = day + timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(monday, time(6, 0), tzinfo=UTC)


@dataclass
class Market:
    """The simulated clock, the agents and what went wrong in the services along the way."""

    network: Network
    seed: int
    clock: time_machine.Coordinates
    now: datetime
    order_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    members: dict[int, User] = field(default_factory=dict)

    def member(self, organization: Organization) -> User:
        """Who acts for an organization (looked up once per run)."""
        if organization.pk not in self.members:
            self.members[organization.pk] = member_of(organization)
        return self.members[organization.pk]

    def count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1

    def move_to(self, moment: datetime) -> None:
        if moment > self.now:
            self.clock.move_to(moment)
            self.now = moment

    def tick(self) -> None:
        """The periodic work, as beat (or cron) would run it."""
        for name, work in (
            ("housekeeping", lambda: orders_housekeeping(now=self.now)),
            ("refunds_retry", lambda: refunds_retry(now=self.now)),
            ("settlement", lambda: settlement_run_due(now=self.now)),
        ):
            try:
                work()
            except Exception as error:  # a failing pass is a finding, not the end of the run
                self.errors.append(f"{self.now:%Y-%m-%d %H:%M} {name}: {error!r}")

    def attempt(self, label: str, action) -> object | None:
        """Run one service call; a domain error (or a crash) is recorded and the agent goes on."""
        try:
            return action()
        except DomainError as error:
            self.errors.append(f"{label}: {error.message}")
        except Exception as error:
            logger.exception("Simulation: %s failed", label)
            self.errors.append(f"{label}: {error!r}")
        return None
