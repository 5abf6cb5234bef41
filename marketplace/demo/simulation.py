"""A randomized market: many orders driven through the real services, then a money audit.

Each order is an agent that acts as its customer, workshops, carrier and an operator would:
quote, pay (on time, late after expiry, or never), accept or decline jobs, run steps (some
late, which re-plans what follows), hand legs over and receive them (or leave it to the
escrow timer), dispute with an operator's decision and partial refunds, cancel, confirm
delivery and complete. The clock is simulated (``time_machine``) and the periodic work runs
on it: ``orders_housekeeping``, ``refunds_retry`` and ``settlement_run_due``. Payments go
through ``SimulatedProvider``, whose refunds and payouts fail now and then (an answer lost, a
transfer refused), so the retries are exercised too.

The result is measured by ``billing.audit`` on the simulated orders only. The same seed on
the same (fresh) database gives the same numbers. Here is the loop; the network is
``simulated_network``, the clock ``market``, one order's life ``order_agent`` and
``order_work``, the payments ``simulated_provider``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import time_machine

from billing import audit
from marketplace.demo.market import TICK, Market, simulation_settings, start_moment
from marketplace.demo.order_agent import MAX_ORDER_DAYS, OrderAgent
from marketplace.demo.simulated_network import network_build
from marketplace.demo.simulated_provider import SimulatedProvider
from marketplace.orders.models import Order

SETTLE_AFTER = timedelta(days=3)  # ticks after the last order closed, for the last payouts
ORDER_GAP_HOURS = (1, 8)  # between two orders' quotes


def simulate_market(*, orders: int, seed: int) -> dict:
    """Drive ``orders`` orders through the services on a simulated clock and audit the money.

    Returns one JSON-ready dict: ``orders`` and the audit's metrics (all 0 when the money
    adds up), ``payout_hours_p95``, what happened (``events``) and the service errors met.
    """
    SimulatedProvider.rng = random.Random(seed)
    SimulatedProvider.refunded = set()
    SimulatedProvider.calls_failed = 0
    with simulation_settings():
        network = network_build()
        start = start_moment()
        with time_machine.travel(start, tick=False) as clock:
            market = Market(network=network, seed=seed, clock=clock, now=start)
            _run(market, orders)
            end = market.now
    result = audit.money_audit(order_ids=market.order_ids)
    delays = audit.payout_delays(order_ids=market.order_ids, now=end)
    return {
        "orders": len(market.order_ids),
        **result.counts(),
        "payout_hours_p95": round(audit.percentile([d.hours for d in delays], 95), 2),
        "payouts": len(delays),
        "payouts_unpaid": sum(d.paid_at is None for d in delays),
        "seed": seed,
        "simulated_days": round((end - start).total_seconds() / 86400, 1),
        "provider_calls_failed": SimulatedProvider.calls_failed,
        "events": dict(sorted(market.events.items())),
        "service_errors": market.errors,
        "breaking_orders": [
            {
                "order_id": o.order_id,
                "reference": o.reference,
                "status": o.status,
                "problems": list(o.problems),
            }
            for o in result.breaking
        ],
        "statuses": _statuses(market.order_ids),
    }


def _statuses(order_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Order.objects.filter(pk__in=order_ids).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _run(market: Market, count: int) -> None:
    """The event loop: agents wake in time order (ties by index), the periodic work runs
    every ``TICK``, and it ends ``SETTLE_AFTER`` after the last order closed."""
    rng = random.Random(market.seed)
    agents: dict[int, tuple[datetime, OrderAgent]] = {}
    arrival = market.now
    for index in range(count):
        agents[index] = (arrival, OrderAgent(market, index))
        arrival += timedelta(minutes=int(rng.uniform(*ORDER_GAP_HOURS) * 60))
    next_tick = market.now + TICK
    deadline = market.now + timedelta(days=MAX_ORDER_DAYS * 2 + count)
    while agents and market.now < deadline:
        index, (wake, agent) = min(agents.items(), key=lambda item: (item[1][0], item[0]))
        if next_tick <= wake:
            market.move_to(next_tick)
            market.tick()
            next_tick += TICK
            continue
        market.move_to(wake)
        try:
            agents[index] = (max(next(agent.script), market.now), agent)
        except StopIteration:
            del agents[index]
    for index in sorted(agents):
        market.errors.append(f"order agent {index} still open at the deadline")
    settled_by = market.now + SETTLE_AFTER
    while next_tick <= settled_by:
        market.move_to(next_tick)
        market.tick()
        next_tick += TICK
