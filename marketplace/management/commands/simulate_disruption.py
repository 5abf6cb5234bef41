"""Take down the busiest workshop(s) of a loaded network and print how the re-plan went."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from marketplace.demo.disruption import simulate_disruption


class Command(BaseCommand):
    help = (
        "Load the simulation network with N paid orders (every job accepted), take down every "
        "machine of the workshop(s) holding about SHARE of the booked steps (every process keeps "
        "two working workshops), accept every new "
        "offer, and report re-plan times, on-time share, refused offers, double bookings, moved "
        "done steps, operator notices and the ledger. Deterministic for a seed on a fresh "
        "database (wall-time figures aside)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--orders", type=int, default=20)
        parser.add_argument("--share", type=float, default=0.2)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        result = simulate_disruption(
            seed=options["seed"], orders=options["orders"], share=options["share"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True, default=str))
            return
        for key, value in result.items():
            if key != "service_errors":
                self.stdout.write(f"{key:<22} {value}")
        for error in result["service_errors"]:
            self.stdout.write(f"  {error}")
