"""A workshop's rating, written from every review and inspection result it has.

Called inside the transaction that wrote a review or an inspection outcome, so the rating the
matcher reads never lags the results behind it.
"""

from __future__ import annotations

from django.db import transaction

from marketplace.network.models import Workshop
from marketplace.network.rating import workshop_rating
from marketplace.network.selectors import workshop_inspection_counts
from marketplace.orders.models import Review


def workshop_rating_refresh(*, workshop_id: int) -> Workshop:
    """Recomputes the workshop's rating and review count from scratch.

    Locks the workshop's row first, so two results written at once are both counted: the
    second waits, then reads the first's committed row. Callers that lock the order and job
    lock them before this, as every inspection writer does.
    """
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop_id)
        stars = list(
            Review.objects.filter(workshop_id=workshop_id).values_list("rating", flat=True)
        )
        inspections = workshop_inspection_counts(workshop_id=workshop_id)
        workshop.review_count = len(stars)
        workshop.inspection_count = inspections.total
        workshop.rating = workshop_rating(stars=stars, inspections=inspections)
        workshop.save(update_fields=["review_count", "inspection_count", "rating"])
    return workshop


def workshop_ratings_refresh_all() -> int:
    """Recomputes every workshop's rating, one workshop per transaction, and returns how many
    changed: brings up to date ratings written before inspection results counted. A rerun
    changes nothing."""
    changed = 0
    for workshop_id in Workshop.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            before = (
                Workshop.objects.select_for_update()
                .filter(pk=workshop_id)
                .values_list("rating", "review_count", "inspection_count")
                .first()
            )
            if before is None:  # deleted meanwhile
                continue
            after = workshop_rating_refresh(workshop_id=workshop_id)
        changed += before != (after.rating, after.review_count, after.inspection_count)
    return changed
