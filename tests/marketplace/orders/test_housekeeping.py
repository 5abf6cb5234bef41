"""Operators settle disputes and moderate designs; timers expire and complete orders."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.designs.models import Design, DesignReport
from marketplace.designs.services import design_report, design_report_decide
from marketplace.errors import DomainError, PermissionDenied
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import OrderEvent
from marketplace.orders.services import order_resolve_dispute
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db


def _org(user):
    return user.memberships.get().organization


def test_an_operator_resumes_a_disputed_order_with_a_reason(operator_olga):
    order = OrderFactory(status="disputed")
    order_resolve_dispute(
        user=operator_olga, order=order, outcome="resume", reason="Parts reworked"
    )
    order.refresh_from_db()
    assert order.status == "in_production"
    assert OrderEvent.objects.get(order=order, to_status="in_production").reason == "Parts reworked"


def test_only_operators_settle_disputes(customer_alice):
    order = OrderFactory(status="disputed", organization=_org(customer_alice))
    with pytest.raises(PermissionDenied):
        order_resolve_dispute(user=customer_alice, order=order, outcome="complete", reason="x")
    order.refresh_from_db()
    assert order.status == "disputed"


def test_a_decision_without_reason_is_refused(operator_olga):
    order = OrderFactory(status="disputed")
    with pytest.raises(DomainError, match="Explain the decision"):
        order_resolve_dispute(user=operator_olga, order=order, outcome="complete", reason=" ")


def test_unpaid_orders_expire_after_the_pay_by_date():
    stale = OrderFactory(status="placed", pay_by=timezone.now() - timedelta(minutes=1))
    fresh = OrderFactory(status="placed")
    assert orders_housekeeping()["expired"] == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("expired", "placed")


def test_delivered_orders_complete_by_themselves_after_the_window(settings):
    settings.ORDER_AUTO_COMPLETE_DAYS = 14
    order = OrderFactory(status="delivered", delivered_at=timezone.now())
    assert orders_housekeeping()["completed"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert orders_housekeeping()["completed"] == 1
    order.refresh_from_db()
    assert order.status == "completed"
    assert OrderEvent.objects.get(order=order, to_status="completed").role == "system"


@pytest.fixture
def design(customer_alice):
    return Design.objects.create(organization=_org(customer_alice), name="Suspicious part")


def test_a_design_reported_and_upheld_is_blocked_from_quoting(
    design, operator_olga, customer_alice
):
    report = design_report(
        user=operator_olga, design=design, kind="ip", details="Copies a patented latch design."
    )
    design_report_decide(operator=operator_olga, report=report, uphold=True, note="Patent EP123")
    design.refresh_from_db()
    assert design.blocked
    report.refresh_from_db()
    assert report.status == DesignReport.Status.UPHELD
    assert customer_alice.notifications.filter(kind="design.blocked").exists()


def test_a_dismissed_report_leaves_the_design_usable(design, operator_olga):
    report = design_report(
        user=operator_olga, design=design, kind="prohibited", details="Looks like a weapon part."
    )
    design_report_decide(operator=operator_olga, report=report, uphold=False, note="")
    design.refresh_from_db()
    assert not design.blocked


def test_people_who_cannot_see_a_design_cannot_report_it(design, workshop_bob):
    with pytest.raises(DomainError, match="No such design"):
        design_report(user=workshop_bob, design=design, kind="ip", details="I saw it somewhere")
    assert not DesignReport.objects.exists()


def test_only_operators_decide_reports(design, operator_olga, customer_alice):
    report = design_report(
        user=operator_olga, design=design, kind="other", details="Please check this one."
    )
    with pytest.raises(PermissionDenied):
        design_report_decide(operator=customer_alice, report=report, uphold=True, note="x")
