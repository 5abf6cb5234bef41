"""Two jobs on one machine, their reports crossing (two bridges, or a replay): the newer
report on one job must not swallow the older completion of the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.orders.models import Job
from marketplace.shopfloor.services import event_ingest
from tests.helpers import at
from tests.marketplace.orders.outage_story import mill, order_with
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


@pytest.fixture
def two_jobs(small_network):
    machine = mill("Stuttgart")
    first = order_with((machine, at(2, 8), 2, "in_progress", 90)).jobs.get()
    second = order_with((machine, at(2, 11), 2, "accepted")).jobs.get()
    return first, second, device_of(small_network["bob"], machine)


def test_an_older_completion_still_completes_its_job(two_jobs):
    first, second, device = two_jobs
    t1 = datetime.now(UTC) - timedelta(minutes=2)
    t2 = t1 + timedelta(minutes=1)
    assert device.send("progress", job=second.pk, percent=5, at=t2).outcome == "applied"
    result = device.send("progress", job=first.pk, percent=100, done=True, at=t1)
    assert result.outcome == "applied"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Job.Status.DONE
    assert (second.status, second.progress_percent) == (Job.Status.IN_PROGRESS, 5)
    device.machine.feed.refresh_from_db()
    assert device.machine.feed.progress_at == t2  # the newest report stays the cursor


def test_an_older_completion_sent_twice_is_still_one_completion(two_jobs):
    first, second, device = two_jobs
    t1 = datetime.now(UTC) - timedelta(minutes=2)
    device.send("progress", job=second.pk, percent=5, at=t1 + timedelta(minutes=1))
    topic, payload = device.message("progress", job=first.pk, percent=100, done=True, at=t1)
    assert event_ingest(topic=topic, payload=payload).outcome == "applied"
    assert event_ingest(topic=topic, payload=payload).outcome == "duplicate"
    first.refresh_from_db()
    assert first.status == Job.Status.DONE
