"""Reviews feed the matcher: badly rated workshops stop getting new jobs."""

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from marketplace.network.models import WeeklyAvailability
from marketplace.network.snapshot import network_snapshot
from marketplace.orders.models import Job, Review
from marketplace.orders.ratings import workshop_rating_refresh
from tests.factories import CarrierFactory, MachineFactory
from tests.factories.orders import JobFactory

pytestmark = pytest.mark.django_db


def _machine(rating, reviews, inspected=0):
    machine = MachineFactory(
        workshop__rating=rating,
        workshop__review_count=reviews,
        workshop__inspection_count=inspected,
    )
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


def test_inspected_steps_count_towards_judging_a_workshop_as_reviews_do(settings):
    """One review and many rejected steps: rated low, and known well enough to be left out."""
    settings.MATCHING_MIN_RATING, settings.MATCHING_MIN_REVIEWS = 3.0, 5
    rejected_often = _machine("2.10", 1, inspected=6)
    barely_known = _machine("2.10", 1, inspected=3)
    snapshot = network_snapshot(origin=datetime(2030, 1, 7, tzinfo=UTC), horizon_days=7)
    offered = {int(m.id) for m in snapshot.machines}
    assert rejected_often.pk not in offered
    assert barely_known.pk in offered


def test_a_workshop_whose_steps_are_rejected_stops_being_offered_work(settings):
    """Through the real rating: a five-star review does not outweigh six rejected steps."""
    settings.MATCHING_MIN_RATING, settings.MATCHING_MIN_REVIEWS = 3.0, 5
    machine = _machine(None, 0)
    workshop = machine.workshop
    for _ in range(6):
        JobFactory(workshop=workshop, status=Job.Status.DONE, inspection="rejected")
    Review.objects.create(
        order=Job.objects.filter(workshop=workshop).first().order, workshop=workshop, rating=5
    )
    workshop = workshop_rating_refresh(workshop_id=workshop.pk)
    assert (workshop.review_count, workshop.inspection_count) == (1, 6)
    assert workshop.rating < Decimal("3")
    snapshot = network_snapshot(origin=datetime(2030, 1, 7, tzinfo=UTC), horizon_days=7)
    assert machine.pk not in {int(m.id) for m in snapshot.machines}


@pytest.mark.parametrize(
    ("usual", "urgent", "first_open_on_urgent"),
    [(24, 4, 0), (24, None, 8 * 60 * 2), (2, 4, 0)],
)
def test_an_urgent_re_plan_reads_the_urgent_lead_time_where_a_workshop_takes_urgent_work(
    usual, urgent, first_open_on_urgent
):
    """Monday 08:00-16:00 and Tuesday open (UTC); read at Monday 00:00. The usual 24 h lead
    time opens Tuesday 08:00; an urgent lead time of 4 h opens Monday 08:00; a workshop that
    takes no urgent work keeps its usual one; an urgent time longer than the usual one is
    never worse than the usual."""
    machine = MachineFactory(
        workshop__timezone="UTC",
        workshop__min_lead_time_hours=usual,
        workshop__urgent_lead_time_hours=urgent,
    )
    for weekday in (0, 1):
        WeeklyAvailability.objects.create(
            machine=machine, weekday=weekday, start_time=time(8), end_time=time(16)
        )
    monday = datetime(2030, 1, 7, tzinfo=UTC)
    usual_view = network_snapshot(origin=monday, horizon_days=3)
    urgent_view = network_snapshot(origin=monday, horizon_days=3, urgent=True)
    (usual_spec,) = usual_view.machines
    (urgent_spec,) = urgent_view.machines
    first = urgent_spec.windows[0][0]
    assert first == (8 * 60 if first_open_on_urgent == 0 else 24 * 60 + 8 * 60)
    assert first <= usual_spec.windows[0][0]
    if usual < 8:
        assert usual_spec.windows[0][0] == 8 * 60
    else:
        assert usual_spec.windows[0][0] == 24 * 60 + 8 * 60


@pytest.mark.parametrize(
    ("courier_hours", "urgent_leg", "usual_leg"),
    [(4, 4 * 60, 24 * 60), (None, 24 * 60, 24 * 60), (30, 24 * 60, 24 * 60)],
)
def test_an_urgent_re_plan_reads_the_carriers_direct_courier_and_a_quote_never_does(
    courier_hours, urgent_leg, usual_leg
):
    """A courier of 4 h shortens an urgent re-plan's legs only; a carrier without one, or
    with one slower than its day, moves parts in a day at least as always."""
    CarrierFactory(urgent_leg_hours=courier_hours)
    monday = datetime(2030, 1, 7, tzinfo=UTC)
    (usual,) = network_snapshot(origin=monday, horizon_days=3).carriers
    (urgent,) = network_snapshot(origin=monday, horizon_days=3, urgent=True).carriers
    assert (urgent.min_leg_minutes, usual.min_leg_minutes) == (urgent_leg, usual_leg)
