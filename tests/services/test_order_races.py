"""Two workshops' members accepting jobs for the same machine time at once: one wins."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection

from marketplace.errors import CapacityUnavailable
from marketplace.network.models import CapacityBooking
from marketplace.orders.jobs import job_accept
from marketplace.orders.models import Job
from tests.factories import MachineFactory, MembershipFactory, UserFactory
from tests.factories.orders import JobFactory, OrderFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_accepts_of_the_same_machine_time_book_it_once(postgres):
    machine = MachineFactory(
        open_on=range(7), open_on__start_time=time(0), open_on__end_time=time(23, 59)
    )
    member = UserFactory()
    MembershipFactory(user=member, organization=machine.workshop.organization)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    jobs = [
        JobFactory(
            order=OrderFactory(status="paid"),
            job_key="part",
            step_key="mill",
            name="3-axis CNC milling",
            workshop=machine.workshop,
            machine=machine,
            planned_start=start,
            cost_minor=10000,
        )
        for _ in range(6)
    ]
    barrier = threading.Barrier(len(jobs))
    outcomes = []

    def accept(job):
        try:
            barrier.wait()
            job_accept(user=member, job=job)
            outcomes.append("accepted")
        except CapacityUnavailable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["accepted"] + ["refused"] * 5
    assert CapacityBooking.objects.filter(machine=machine).count() == 1
    assert Job.objects.filter(status=Job.Status.ACCEPTED).count() == 1
