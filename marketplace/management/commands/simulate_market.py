"""Drive a randomized market through the real services and print its money audit."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from marketplace.demo.simulation import simulate_market


class Command(BaseCommand):
    help = (
        "Simulate N orders (quotes, payments, jobs, legs, disputes, refunds, cancellations, "
        "expiries, re-plans, failing provider calls) on a simulated clock, then audit the "
        "money. Deterministic for a seed on a fresh database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--orders", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        result = simulate_market(orders=options["orders"], seed=options["seed"])
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        for key in (
            "orders",
            "ledger_unbalanced",
            "orders_negative_escrow",
            "orders_with_money_stuck",
            "parties_unpaid_for_accepted_work",
            "payouts_not_opened",
            "money_created_minor",
            "payout_hours_p95",
        ):
            self.stdout.write(f"{key:<34} {result[key]}")
        for order in result["breaking_orders"]:
            self.stdout.write(f"{order['reference']} ({order['status']}):")
            for problem in order["problems"]:
                self.stdout.write(f"    - {problem}")
