"""What the orders side hands the sharing rule: runner-up and reference prices for steps and
legs alike, lateness after the grace period, and quality from inspection."""

from datetime import timedelta

import pytest

from billing.money import Money
from billing.sharing import Quality, share_margin
from marketplace.orders.contributions import job_party, leg_party
from marketplace.orders.models import Job, Shipment
from marketplace.orders.plans import shipment_from_leg
from tests.factories import CarrierFactory, WorkshopFactory
from tests.factories.orders import JobFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def test_a_planned_leg_keeps_the_matchers_runner_up_and_reference():
    order = OrderFactory()
    origin, carrier, other = WorkshopFactory(), CarrierFactory(), CarrierFactory()
    leg = {
        "kind": "leg",
        "job": "line-1",
        "origin_workshop_id": origin.pk,
        "destination_workshop_id": None,
        "to_customer": True,
        "carrier_id": carrier.pk,
        "carrier_name": "",
        "depart": "2026-12-07T12:00:00+00:00",
        "arrive": "2026-12-08T12:00:00+00:00",
        "km": 220.4,
        "cost_minor": 3000,
        "co2_g": 40000,
        "runner_up_carrier_id": other.pk,
        "runner_up_cost_minor": 4500,
        "estimate_cost_minor": 3750,
    }
    shipment = shipment_from_leg(order, leg, version=1)
    shipment.refresh_from_db()
    assert (shipment.runner_up_cost_minor, shipment.estimate_cost_minor) == (4500, 3750)


def test_a_carrier_and_a_workshop_with_the_same_numbers_get_the_same_share():
    # The old rule gave every leg no runner-up, so the carrier counted as irreplaceable and
    # took twice the workshop's share per euro.
    job = JobFactory(
        status=Job.Status.DONE, cost_minor=3000, runner_up_cost_minor=4500, estimate_cost_minor=4000
    )
    leg = ShipmentFactory(
        order=job.order,
        status=Shipment.Status.DELIVERED,
        cost_minor=3000,
        runner_up_cost_minor=4500,
        estimate_cost_minor=4000,
    )
    (step, _), (carried, _) = job_party(job, "EUR"), leg_party(leg, "EUR")
    assert carried.runner_up_price == Money(4500, "EUR")
    assert carried.reference_price == Money(4000, "EUR")
    a, b = share_margin(margin=Money(1000, "EUR"), parties=[step, carried])
    assert a.weight == b.weight == 2000  # half the runner-up bounded by the reference
    assert a.margin_share == b.margin_share == Money(500, "EUR")


@pytest.mark.parametrize(
    ("late_by", "days"),
    [
        (timedelta(seconds=1), 0),
        (timedelta(hours=24), 0),
        (timedelta(hours=24, seconds=1), 1),
        (timedelta(hours=48), 1),
        (timedelta(hours=72, seconds=1), 3),
    ],
)
def test_lateness_counts_whole_days_after_a_days_grace(late_by, days):
    job = JobFactory(status=Job.Status.DONE)
    job.finished_at = job.planned_end + late_by
    leg = ShipmentFactory(status=Shipment.Status.DELIVERED)
    leg.received_at = leg.planned_arrival + late_by
    assert job_party(job, "EUR")[0].days_late == days
    assert leg_party(leg, "EUR")[0].days_late == days


def test_the_grace_period_is_a_setting(settings):
    settings.SHARING_LATE_GRACE_HOURS = 0
    job = JobFactory(status=Job.Status.DONE)
    job.finished_at = job.planned_end + timedelta(seconds=1)
    assert job.days_late == 1


def test_early_or_unfinished_work_is_not_late():
    job = JobFactory(status=Job.Status.DONE)
    job.finished_at = job.planned_end - timedelta(days=2)
    assert job.days_late == 0
    assert ShipmentFactory().days_late == 0


def test_a_step_passes_its_reference_and_recorded_quality_to_the_rule():
    job = JobFactory(
        status=Job.Status.DONE,
        runner_up_cost_minor=None,
        estimate_cost_minor=5000,
        inspection=Job.Inspection.REJECTED,
    )
    contribution, organization = job_party(job, "EUR")
    assert contribution.runner_up_price is None
    assert contribution.reference_price == Money(5000, "EUR")
    assert contribution.quality == Quality.REJECTED
    assert organization == job.workshop.organization
