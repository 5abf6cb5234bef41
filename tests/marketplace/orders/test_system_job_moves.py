"""The platform's own job moves (offer, cancel, supersede) read SYSTEM_JOB_MOVES, like a
workshop's read JOB_MOVES: done work is never taken back, and retiring frees machine time."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import Conflict
from marketplace.network.models import CapacityBooking
from marketplace.orders.flow import SYSTEM_JOB_MOVES, JobStatus, OrderStatus
from marketplace.orders.models import Job
from marketplace.orders.transitions import job_retire, jobs_offer, remaining_work_cancel
from tests.factories.orders import JobFactory, OrderFactory

pytestmark = pytest.mark.django_db

RETIRING = [JobStatus.CANCELLED, JobStatus.SUPERSEDED]
CASES = list(itertools.product(JobStatus, RETIRING))


@pytest.mark.parametrize(("source", "target"), CASES, ids=[f"{a}->{b}" for a, b in CASES])
def test_retiring_follows_the_table_and_never_touches_done_work(source, target):
    job = JobFactory(status=source)
    if source in SYSTEM_JOB_MOVES[target]:
        job_retire(job, target)
        job.refresh_from_db()
        assert job.status == target
    else:
        with pytest.raises(Conflict):
            job_retire(job, target)
        job.refresh_from_db()
        assert job.status == source
    assert JobStatus.DONE not in SYSTEM_JOB_MOVES[target]


def test_retiring_gives_the_machine_time_back():
    job = JobFactory(status=JobStatus.ACCEPTED)
    job.booking = CapacityBooking.objects.create(
        machine=job.machine, starts_at=job.planned_start, ends_at=job.planned_end, reference="t"
    )
    job.save(update_fields=["booking"])
    booking_id = job.booking_id
    job_retire(job, JobStatus.SUPERSEDED)
    job.refresh_from_db()
    assert job.booking_id is None
    assert not CapacityBooking.objects.filter(pk=booking_id).exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statuses=st.lists(st.sampled_from(list(JobStatus)), min_size=1, max_size=6))
def test_cancelling_an_order_ends_every_unfinished_step_and_keeps_the_rest(statuses):
    order = OrderFactory(status=OrderStatus.CANCELLED)
    jobs = [JobFactory(order=order, status=s, sequence=i) for i, s in enumerate(statuses)]
    remaining_work_cancel(order)
    for job, before in zip(jobs, statuses, strict=True):
        job.refresh_from_db()
        if before in SYSTEM_JOB_MOVES[JobStatus.CANCELLED]:
            assert job.status == JobStatus.CANCELLED
        else:
            assert job.status == before  # done, declined, superseded, cancelled: as they were


def test_offering_moves_only_planned_steps():
    order = OrderFactory(status=OrderStatus.PAID)
    planned = JobFactory(order=order, status=JobStatus.PLANNED, sequence=0)
    declined = JobFactory(order=order, status=JobStatus.DECLINED, sequence=1)
    assert [j.pk for j in jobs_offer(order)] == [planned.pk]
    assert Job.objects.get(pk=planned.pk).status == JobStatus.OFFERED
    assert Job.objects.get(pk=declined.pk).status == JobStatus.DECLINED
