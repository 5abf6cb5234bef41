"""Reviews feed the matcher: badly rated workshops stop getting new jobs."""

from datetime import UTC, datetime, time

import pytest

from marketplace.network.models import WeeklyAvailability
from marketplace.network.snapshot import network_snapshot
from tests.factories import MachineFactory

pytestmark = pytest.mark.django_db


def _machine(rating, reviews):
    machine = MachineFactory(workshop__rating=rating, workshop__review_count=reviews)
    WeeklyAvailability.objects.create(
        machine=machine, weekday=0, start_time=time(8), end_time=time(16)
    )
    return machine


def test_a_workshop_rated_below_the_bar_after_enough_reviews_is_not_offered(settings):
    settings.MATCHING_MIN_RATING, settings.MATCHING_MIN_REVIEWS = 3.0, 5
    good = _machine("4.50", 12)
    poor = _machine("2.40", 9)
    new = _machine("1.00", 2)  # too few reviews to judge yet
    snapshot = network_snapshot(origin=datetime(2030, 1, 7, tzinfo=UTC), horizon_days=7)
    offered = {int(m.id) for m in snapshot.machines}
    assert good.pk in offered
    assert new.pk in offered
    assert poor.pk not in offered
