"""`manage.py ratings_refresh` brings every workshop's stored rating up to date with its
reviews and inspection results (ratings written before inspections counted), says how many
changed, and changes nothing when run again."""

from __future__ import annotations

import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.network.models import Workshop
from marketplace.network.rating import InspectionCounts, workshop_rating
from marketplace.orders.models import Job, Review
from tests.factories import WorkshopFactory
from tests.factories.orders import JobFactory

pytestmark = pytest.mark.django_db

OUTCOMES = ["accepted", "reworked", "rejected"]


def _refresh() -> str:
    out = StringIO()
    call_command("ratings_refresh", stdout=out)
    return out.getvalue().strip()


def _stored(workshop: Workshop) -> tuple[Decimal | None, int, int]:
    workshop.refresh_from_db()
    return workshop.rating, workshop.review_count, workshop.inspection_count


def test_a_rating_written_before_inspections_counted_is_brought_up_to_date():
    rejected = WorkshopFactory()
    job = JobFactory(workshop=rejected, status=Job.Status.DONE, inspection="rejected")
    Review.objects.create(order=job.order, workshop=rejected, rating=5)
    # The stars alone, as ratings were written before inspection results counted.
    Workshop.objects.filter(pk=rejected.pk).update(
        rating=Decimal("5.00"), review_count=1, inspection_count=0
    )
    unrated = WorkshopFactory()

    assert _refresh() == "1 workshop rating(s) changed."
    expected = workshop_rating(stars=[5], inspections=InspectionCounts(rejected=1))
    assert expected < Decimal("5")
    assert _stored(rejected) == (expected, 1, 1)
    assert _stored(unrated) == (None, 0, 0)
    assert _refresh() == "0 workshop rating(s) changed."


@pytest.mark.parametrize("seed", range(3))
def test_every_workshop_ends_with_the_rating_of_its_results_and_only_stale_ones_count(seed):
    """Random reviews, inspections and stored values (stale or right) over several workshops."""
    rng = random.Random(seed)
    workshops, stale = [], 0
    for _ in range(6):
        workshop = WorkshopFactory()
        stars = []
        counts = dict.fromkeys(OUTCOMES, 0)
        for _ in range(rng.randint(0, 3)):
            outcome = rng.choice(["", *OUTCOMES])
            job = JobFactory(workshop=workshop, status=Job.Status.DONE, inspection=outcome)
            if outcome:
                counts[outcome] += 1
            if rng.random() < 0.7:
                stars.append(rng.randint(1, 5))
                Review.objects.create(order=job.order, workshop=workshop, rating=stars[-1])
        right = workshop_rating(
            stars=stars,
            inspections=InspectionCounts(
                passed=counts["accepted"],
                reworked=counts["reworked"],
                rejected=counts["rejected"],
            ),
        )
        stored = rng.choice([right, None, Decimal("5.00"), Decimal("1.00")])
        stored_count = rng.choice([len(stars), len(stars), len(stars) + 1])
        inspected = sum(counts.values())
        stored_inspected = rng.choice([inspected, inspected, 0])
        Workshop.objects.filter(pk=workshop.pk).update(
            rating=stored, review_count=stored_count, inspection_count=stored_inspected
        )
        stale += (stored, stored_count, stored_inspected) != (right, len(stars), inspected)
        workshops.append((workshop, right, len(stars), inspected))

    assert _refresh() == f"{stale} workshop rating(s) changed."
    for workshop, right, reviews, inspected in workshops:
        assert _stored(workshop) == (right, reviews, inspected)
    assert _refresh() == "0 workshop rating(s) changed."
