import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace.shopfloor.bridge import Bridge, BrokerAddress


class Command(BaseCommand):
    help = (
        "Consumes shop-floor events from MQTT (cf/<workshop>/machines/<id>/<kind>) and applies "
        "them; run as many as needed, they share the subscription. Stops cleanly on SIGTERM."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--broker",
            default=settings.SHOPFLOOR_MQTT_URL,
            help="mqtt://[user:pass@]host[:port] or mqtts://... (TLS)",
        )
        parser.add_argument("--client-id", default=None, help="default: cf-bridge-<hostname>")
        parser.add_argument(
            "--silence-every",
            type=float,
            default=60.0,
            help="seconds between two passes of the silence watch",
        )
        parser.add_argument(
            "--leave",
            action="store_true",
            help="end this bridge's broker session when it stops (retiring it for good); "
            "without it the broker keeps handing this client id its share until it returns",
        )

    def handle(self, *args, **options) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        try:
            broker = BrokerAddress.from_url(options["broker"])
        except ValueError as error:
            self.stderr.write(str(error))
            raise SystemExit(2) from error
        bridge = Bridge(
            broker,
            client_id=options["client_id"],
            silence_every=options["silence_every"],
            leave_on_stop=options["leave"],
        )
        signal.signal(signal.SIGTERM, bridge.stop)
        signal.signal(signal.SIGINT, bridge.stop)
        self.stdout.write(f"Shop-floor bridge on {broker.host}:{broker.port}; SIGTERM stops it.")
        bridge.run()
        counts = ", ".join(f"{n} {k}" for k, n in sorted(bridge.counts.by_outcome.items()))
        self.stdout.write(f"Stopped after {bridge.counts.received} message(s): {counts or 'none'}.")
