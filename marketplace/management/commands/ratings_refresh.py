from django.core.management.base import BaseCommand

from marketplace.orders.ratings import workshop_ratings_refresh_all


class Command(BaseCommand):
    help = (
        "Recomputes every workshop's rating from its reviews and inspection results, so "
        "ratings written before inspections counted are brought up to date."
    )

    def handle(self, *args, **options) -> None:
        changed = workshop_ratings_refresh_all()
        self.stdout.write(f"{changed} workshop rating(s) changed.")
