"""Quality results feed the workshop's rating: a rejected or reworked step lowers it, a passed
one keeps it, an operator's correction counts as corrected, and the public profile says it in
words."""

from decimal import Decimal

import pytest

from marketplace.network.models import Workshop
from marketplace.orders.conversation import review_create
from marketplace.orders.models import Order
from marketplace.quality.services import quality_record_review, quality_record_save
from tests.helpers import workshop_of

from .conftest import finish

pytestmark = pytest.mark.django_db

IN_TOLERANCE = [{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.03"}]


def _rating(user) -> Decimal | None:
    return Workshop.objects.get(pk=workshop_of(user).pk).rating


def _inspected(world, *, outcome: str, accepted: bool, reason: str = ""):
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome=outcome,
        note="" if outcome == "pass" else "Deburred twice",
        measurements=IN_TOLERANCE,
    )
    finish(world.milled)
    return quality_record_review(
        user=world.charlie, record=record, accepted=accepted, reason=reason
    )


def test_a_passed_step_rates_the_workshop_at_its_best(world):
    assert _rating(world.bob) is None
    _inspected(world, outcome="pass", accepted=True)
    assert _rating(world.bob) == Decimal("5.00")


def test_a_rejected_inspection_lowers_the_rating_and_a_correction_restores_it(world):
    record = _inspected(world, outcome="pass", accepted=False, reason="Bore is oval")
    rejected = _rating(world.bob)
    assert rejected < Decimal("5")
    quality_record_review(user=world.olga, record=record, accepted=True)
    assert _rating(world.bob) == Decimal("5.00")


def test_a_rework_lowers_it_less_than_a_rejection(world):
    record = _inspected(world, outcome="rework", accepted=True)
    reworked = _rating(world.bob)
    quality_record_review(user=world.olga, record=record, accepted=False, reason="Cracked")
    assert _rating(world.bob) < reworked < Decimal("5")


def test_the_public_profile_says_the_rating_and_the_inspections_in_words(client, world):
    _inspected(world, outcome="rework", accepted=True)
    workshop = workshop_of(world.bob)
    client.force_login(world.alice)
    page = client.get(f"/network/workshops/{workshop.pk}/").content.decode()
    assert "Rated 4.56 of 5, excellent, from 1 inspected step." in page
    assert "0 of 1 inspected step passed first time; 1 had to be reworked." in page


def test_a_review_after_a_rejection_is_rated_with_it(world):
    _inspected(world, outcome="pass", accepted=False, reason="Bore is oval")
    Order.objects.filter(pk=world.order.pk).update(status="completed")
    world.order.refresh_from_db()
    review_create(user=world.alice, order=world.order, workshop=world.milled.workshop, rating=4)
    workshop = Workshop.objects.get(pk=world.milled.workshop_id)
    # 1 + (4 - 1) x 8 / (8 + 2): the rejection keeps 80 % of what the stars hold above one.
    assert (workshop.rating, workshop.review_count) == (Decimal("3.40"), 1)
