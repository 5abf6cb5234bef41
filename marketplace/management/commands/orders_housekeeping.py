from django.core.management.base import BaseCommand

from marketplace.orders.housekeeping import orders_housekeeping


class Command(BaseCommand):
    help = "Expires orders not paid in time and completes delivered orders after the window."

    def handle(self, *args, **options) -> None:
        result = orders_housekeeping()
        self.stdout.write(f"{result['expired']} order(s) expired, {result['completed']} completed.")
