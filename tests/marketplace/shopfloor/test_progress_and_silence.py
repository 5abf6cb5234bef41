"""Progress from the machine goes through the job services; silence, by the workshop's
choice, takes a machine out of planning and the next report brings it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.network.models import Machine
from marketplace.orders.models import Job
from marketplace.shopfloor.models import MachineFeed
from marketplace.shopfloor.services import machines_silence_check
from tests.helpers import at
from tests.marketplace.orders.outage_story import live_jobs, mill, order_with
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


@pytest.fixture
def running(small_network):
    machine = mill("Stuttgart")
    order = order_with((machine, at(2, 8), 2, "accepted"))
    return order, order.jobs.get(), device_of(small_network["bob"], machine)


def test_a_machine_going_down_over_mqtt_replans_like_the_rest_api(
    running, small_network, django_capture_on_commit_callbacks
):
    order, job, device = running
    with django_capture_on_commit_callbacks(execute=True):
        assert device.send("status", status="down", note="Spindle alarm").outcome == "applied"
    job.refresh_from_db()
    assert job.status == Job.Status.SUPERSEDED
    assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    assert order.events.filter(kind="order.outage").count() == 1
    change = device.machine.status_changes.get()
    assert (change.status, change.changed_by) == ("down", small_network["bob"])


def test_progress_on_an_accepted_job_starts_it_and_records_the_percentage(running):
    order, job, device = running
    assert device.send("progress", percent=40, note="Layer 120 of 300").outcome == "applied"
    job.refresh_from_db()
    order.refresh_from_db()
    assert (job.status, job.progress_percent, job.progress_note) == (
        "in_progress",
        40,
        "Layer 120 of 300",
    )
    assert order.status == "in_production"


def test_done_completes_the_job(running):
    _, job, device = running
    device.send("progress", percent=90)
    assert device.send("progress", percent=100, done=True, job=job.pk).outcome == "applied"
    job.refresh_from_db()
    assert (job.status, job.progress_percent) == ("done", 100)


def test_a_new_expected_end_is_the_workshops_delay_report(running):
    _, job, device = running
    later = job.planned_end + timedelta(hours=3)
    device.send("progress", percent=10, expected_end=later.isoformat(), reason="Tool change")
    job.refresh_from_db()
    assert (job.expected_end, job.delay_reason) == (later, "Tool change")


def test_progress_for_a_job_of_another_machine_is_refused_and_changes_nothing(running):
    _order, job, device = running
    other = order_with((mill("Eindhoven"), at(3, 8), 2, "accepted")).jobs.get()
    result = device.send("progress", percent=50, job=other.pk)
    assert (result.outcome, result.code) == ("refused", "unknown_job")
    other.refresh_from_db()
    job.refresh_from_db()
    assert (other.status, other.progress_percent, job.status) == ("accepted", 0, "accepted")


def test_a_machine_with_nothing_to_run_refuses_progress(small_network):
    device = device_of(small_network["bob"], mill("Stuttgart"))
    result = device.send("progress", percent=50)
    assert (result.outcome, result.code) == ("refused", "no_job")


def test_a_silent_machine_goes_down_for_planning_only_if_the_workshop_chose_so(
    running, django_capture_on_commit_callbacks
):
    order, _, device = running
    device.send("status", status="available")
    feed = MachineFeed.objects.get(machine=device.machine)
    later = feed.last_seen_at + timedelta(seconds=feed.silent_after_s + 1)
    assert feed.is_silent(later)
    assert machines_silence_check(now=later) == []  # not chosen: only shown as silent

    MachineFeed.objects.filter(pk=feed.pk).update(down_when_silent=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert machines_silence_check(now=later) == [device.machine.pk]
    machine = Machine.objects.get(pk=device.machine.pk)
    assert machine.status == "down"
    assert machine.status_note.startswith("Silent")
    assert order.jobs.filter(status=Job.Status.SUPERSEDED).exists()
    assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    assert machines_silence_check(now=later) == []  # once

    device.send("counters", counters={"parts": 1})
    machine.refresh_from_db()
    assert (machine.status, machine.status_note) == (
        "available",
        "Reporting again after a silence.",
    )


def test_the_first_report_after_a_silence_leaves_a_status_set_by_a_person_alone(small_network):
    device = device_of(small_network["bob"], mill("Stuttgart"))
    device.send("status", status="available", at=datetime.now(UTC) - timedelta(seconds=5))
    MachineFeed.objects.filter(machine=device.machine).update(down_when_silent=True)
    later = MachineFeed.objects.get().last_seen_at + timedelta(hours=1)
    machines_silence_check(now=later)
    Machine.objects.filter(pk=device.machine.pk).update(status_note="Crashed: spindle")
    device.send("counters", counters={"parts": 1})
    assert Machine.objects.get(pk=device.machine.pk).status == "down"
