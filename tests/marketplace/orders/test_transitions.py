"""The order state machine: every status x status x role against the table, and the audit."""

import itertools

import pytest

from marketplace.errors import Conflict, PermissionDenied, TransitionRefused
from marketplace.orders.flow import JOB_MOVES, TERMINAL, TRANSITIONS, JobStatus, OrderStatus, Role
from marketplace.orders.models import Job, OrderEvent
from marketplace.orders.transitions import job_transition, order_transition
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db

S, R = OrderStatus, Role
PAIRS = [(a, b) for a, b in itertools.product(S, S) if a != b]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_move_is_allowed_exactly_for_the_roles_the_table_lists(source, target):
    order = OrderFactory(status=source)
    for role in R:
        expected = role in TRANSITIONS.get((source, target), frozenset())
        order.status = source
        order.save(update_fields=["status"])
        if expected:
            assert order_transition(order=order, to=target, role=role).status == target
        else:
            with pytest.raises(TransitionRefused):
                order_transition(order=order, to=target, role=role)
            order.refresh_from_db()
            assert order.status == source


def test_terminal_statuses_have_no_way_out():
    for status in TERMINAL:
        assert not any(s == status for s, _ in TRANSITIONS)


def test_a_transition_writes_one_audit_event_with_who_and_why(customer_alice):
    order = OrderFactory(status=S.PLACED, organization=organization_of(customer_alice))
    order_transition(
        order=order, to=S.CANCELLED, role=R.CUSTOMER, actor=customer_alice, reason="Changed my mind"
    )
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.role) == ("placed", "cancelled", "customer")
    assert event.actor == customer_alice
    assert event.reason == "Changed my mind"


def test_repeating_a_transition_is_harmless_and_audited_once():
    order = OrderFactory(status=S.PLACED)
    order_transition(order=order, to=S.PAID, role=R.SYSTEM)
    order_transition(order=order, to=S.PAID, role=R.SYSTEM)
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1


def test_cancel_after_shipping_is_refused_with_a_message_naming_the_status():
    order = OrderFactory(status=S.SHIPPED)
    with pytest.raises(TransitionRefused, match="shipped; it cannot become cancelled"):
        order_transition(order=order, to=S.CANCELLED, role=R.CUSTOMER)


JOB_PAIRS = [(a, b) for a in JobStatus for b in JOB_MOVES]


@pytest.mark.parametrize(("source", "target"), JOB_PAIRS, ids=[f"{a}->{b}" for a, b in JOB_PAIRS])
def test_every_workshop_move_of_a_job_follows_the_table(source, target):
    job = JobFactory(status=source)
    move = JOB_MOVES[target]
    if source in move.sources or (source == target and move.repeatable):
        moved_job, moved = job_transition(job=job, to=target, user=None, event="job.test", text="t")
        assert moved_job.status == target
        assert moved == (source != target)
        assert OrderEvent.objects.filter(order=job.order, kind="job.test").count() == int(moved)
    else:
        with pytest.raises(Conflict):
            job_transition(job=job, to=target, user=None, event="job.test", text="t")
        job.refresh_from_db()
        assert job.status == source
        assert not OrderEvent.objects.filter(order=job.order, kind="job.test").exists()


def test_the_job_table_and_the_model_know_the_same_statuses():
    assert {s.value for s in JobStatus} == {value for value, _ in Job.Status.choices}


def test_a_refused_job_move_applies_nothing():
    job = JobFactory(status=JobStatus.DONE)
    touched = []
    with pytest.raises(Conflict, match="Accept the job before starting it"):
        job_transition(
            job=job,
            to=JobStatus.IN_PROGRESS,
            user=None,
            event="job.started",
            text="t",
            apply=lambda j: touched.append(j) or [],
        )
    assert touched == []


def test_only_members_of_the_jobs_workshop_move_it(workshop_charlie):
    job = JobFactory(status=JobStatus.OFFERED)
    with pytest.raises(PermissionDenied):
        job_transition(job=job, to=JobStatus.ACCEPTED, user=workshop_charlie, event="e", text="t")
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED
