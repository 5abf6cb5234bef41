"""Operators settle disputed orders, with a reason, and nobody else may."""

import pytest

from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.orders.models import Job, OrderEvent
from marketplace.orders.services import order_cancel, order_resolve_dispute
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


def test_an_operator_resumes_a_disputed_order_with_a_reason(operator_olga):
    order = OrderFactory(status="disputed")
    JobFactory(order=order, status=Job.Status.ACCEPTED)  # work left to make
    order_resolve_dispute(
        user=operator_olga, order=order, outcome="resume", reason="Parts reworked"
    )
    order.refresh_from_db()
    assert order.status == "in_production"
    assert OrderEvent.objects.get(order=order, to_status="in_production").reason == "Parts reworked"


def test_resume_is_refused_when_nothing_is_left_to_make(operator_olga):
    """Before: the order went back to production with every step done, and stayed there."""
    order = OrderFactory(status="disputed")
    JobFactory(order=order, status=Job.Status.DONE)
    with pytest.raises(DomainError, match="Nothing is left to make"):
        order_resolve_dispute(user=operator_olga, order=order, outcome="resume", reason="Go on")
    order.refresh_from_db()
    assert order.status == "disputed"
    assert not order.dispute_decisions.exists()


def test_a_disputed_order_is_not_cancelled_around_the_decision(operator_olga):
    order = OrderFactory(status="disputed")
    with pytest.raises(Conflict, match="settle the dispute"):
        order_cancel(user=operator_olga, order=order, reason="Just end it")
    order.refresh_from_db()
    assert order.status == "disputed"


def test_only_operators_settle_disputes(customer_alice):
    order = OrderFactory(status="disputed", organization=organization_of(customer_alice))
    with pytest.raises(PermissionDenied):
        order_resolve_dispute(user=customer_alice, order=order, outcome="complete", reason="x")
    order.refresh_from_db()
    assert order.status == "disputed"


def test_a_decision_without_reason_is_refused(operator_olga):
    order = OrderFactory(status="disputed")
    with pytest.raises(DomainError, match="Explain the decision"):
        order_resolve_dispute(user=operator_olga, order=order, outcome="complete", reason=" ")
