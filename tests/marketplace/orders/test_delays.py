"""A workshop reports when a step will really end; what it pushes is re-planned."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.orders import jobs as job_services
from marketplace.orders.jobs import job_report_delay
from marketplace.orders.models import OrderEvent
from tests.factories import MembershipFactory, UserFactory
from tests.factories.orders import JobFactory
from tests.helpers import api_client_for, at, error_of, workshop_of

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def replans(monkeypatch):
    """The re-planning entry point's calls (the solve itself is tested in its own module)."""
    calls = []
    monkeypatch.setattr(job_services, "replan_order", lambda **kw: calls.append(kw))
    return calls


@pytest.fixture
def steps(workshop_bob):
    """Bob's accepted milling step (Monday 08-10) and the step after it (Tuesday 08-10)."""
    workshop = workshop_of(workshop_bob)
    first = JobFactory(workshop=workshop, status="accepted", sequence=0)
    second = JobFactory(workshop=workshop, order=first.order, status="accepted", sequence=1)
    return first, second


def customer_of(job):
    user = UserFactory()
    MembershipFactory(user=user, organization=job.order.organization)
    return user


def test_a_delay_past_the_next_step_is_recorded_told_and_replanned(steps, workshop_bob, replans):
    first, _second = steps
    customer = customer_of(first)
    job = job_report_delay(
        user=workshop_bob, job=first, expected_end=at(1, 12), reason="Spindle bearing swap"
    )
    job.refresh_from_db()
    assert (job.expected_end, job.delay_reason) == (at(1, 12), "Spindle bearing swap")
    event = OrderEvent.objects.get(order=first.order, kind="job.delay_reported")
    assert "Spindle bearing swap" in event.reason
    assert "26 h after the plan" in event.reason
    notice = Notification.objects.get(user=customer, kind="job.delayed")
    assert "re-planned" in notice.body
    assert Notification.objects.filter(user=workshop_bob, kind="job.delayed").exists()
    (call,) = replans
    assert call["order"] == first.order
    assert (call["change"].job_key, call["change"].step_key) == (first.job_key, first.step_key)
    assert call["change"].new_end == at(1, 12)


def test_a_delay_that_pushes_nothing_is_told_but_not_replanned(steps, workshop_bob, replans):
    first, _ = steps
    job_report_delay(user=workshop_bob, job=first, expected_end=at(0, 11), reason="Slow tool")
    assert replans == []
    assert "plan still holds" in Notification.objects.filter(kind="job.delayed").first().body


def test_someone_outside_the_workshop_may_not_report_a_delay(steps, workshop_charlie, replans):
    with pytest.raises(PermissionDenied):
        job_report_delay(user=workshop_charlie, job=steps[0], expected_end=at(0, 12), reason="x")
    with pytest.raises(PermissionDenied):
        job_report_delay(
            user=customer_of(steps[0]), job=steps[0], expected_end=at(0, 12), reason="x"
        )
    assert not OrderEvent.objects.filter(kind="job.delay_reported").exists()


def test_an_operator_may_report_a_delay_for_the_workshop(steps, operator_olga, replans):
    job = job_report_delay(
        user=operator_olga, job=steps[0], expected_end=at(0, 12), reason="Called us"
    )
    assert job.expected_end == at(0, 12)


@pytest.mark.parametrize(
    ("expected_end", "reason", "message"),
    [
        (lambda: timezone.now() - timedelta(hours=1), "late", "must lie in the future"),
        (lambda: at(0, 7), "late", "after the step's start"),
        (lambda: at(0, 10) + timedelta(days=61), "late", "more than 60 days"),
        (lambda: at(0, 12), "  ", "Say why"),
    ],
)
def test_an_impossible_expected_end_is_refused_with_a_reason(
    steps, workshop_bob, replans, expected_end, reason, message
):
    with pytest.raises(DomainError) as raised:
        job_report_delay(
            user=workshop_bob, job=steps[0], expected_end=expected_end(), reason=reason
        )
    assert message in raised.value.message
    steps[0].refresh_from_db()
    assert steps[0].expected_end is None


def test_a_job_not_yet_accepted_reports_no_delay(workshop_bob, replans):
    job = JobFactory(workshop=workshop_of(workshop_bob), status="offered")
    with pytest.raises(Conflict):
        job_report_delay(user=workshop_bob, job=job, expected_end=at(0, 12), reason="late")


def test_the_api_reports_a_delay_and_answers_400_403_404(
    steps, workshop_bob, workshop_charlie, replans
):
    first, _ = steps
    url = f"{API}/jobs/{first.pk}/delay/"
    body = {"expected_end": at(0, 13).isoformat(), "reason": "Waiting for stock"}
    response = api_client_for(workshop_bob).post(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["delay_reason"] == "Waiting for stock"
    past = {"expected_end": (timezone.now() - timedelta(hours=2)).isoformat(), "reason": "x"}
    response = api_client_for(workshop_bob).post(url, past, format="json")
    assert (response.status_code, error_of(response)["code"]) == (400, "invalid_expected_end")
    response = api_client_for(workshop_bob).post(url, {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert "expected_end" in error_of(response)["fields"]
    assert api_client_for(customer_of(first)).post(url, body, format="json").status_code == 403
    assert api_client_for(workshop_charlie).post(url, body, format="json").status_code == 404


def test_the_job_board_form_reads_the_time_in_the_workshops_zone(
    client, steps, workshop_bob, replans
):
    first, _ = steps
    client.force_login(workshop_bob)
    board = client.get(reverse("job_board"))
    assert f'data-testid="delay-form-{first.pk}"' in board.content.decode()
    local = at(0, 13).astimezone(timezone.get_fixed_timezone(0)).replace(tzinfo=None)
    workshop = first.workshop
    workshop.timezone = "UTC"
    workshop.save(update_fields=["timezone"])
    client.post(
        reverse("job_action", args=[first.pk, "delay"]),
        {"expected_end": local.strftime("%Y-%m-%dT%H:%M"), "reason": "Fixture broke"},
    )
    first.refresh_from_db()
    assert first.expected_end == at(0, 13)
    assert "Fixture broke" in client.get(reverse("job_board")).content.decode()
