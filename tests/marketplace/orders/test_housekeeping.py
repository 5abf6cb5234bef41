"""Timers: unpaid orders expire, delivered orders complete by themselves."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing import selectors as billing_selectors
from billing.models import Payment
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import OrderEvent
from marketplace.orders.services import order_cancel
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import pay_manually, place_quoted_order

pytestmark = pytest.mark.django_db


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


def _expire(order, capture):
    with capture(execute=True):
        orders_housekeeping(now=order.pay_by + timedelta(minutes=1))
    order.refresh_from_db()


def test_expiry_cancels_the_open_payment(
    small_network, customer_alice, django_capture_on_commit_callbacks, fast_matcher
):
    order = place_quoted_order(customer_alice)
    _expire(order, django_capture_on_commit_callbacks)
    assert order.status == "expired"
    payment = Payment.objects.get(order_id=order.pk)
    assert payment.status == Payment.Status.CANCELED
    assert payment.unwanted_reason == "The order expired unpaid."


def test_money_arriving_after_expiry_goes_back_in_full_and_the_order_stays_expired(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks, fast_matcher
):
    order = place_quoted_order(customer_alice)
    payment = Payment.objects.get(order_id=order.pk)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        orders_housekeeping(now=order.pay_by + timedelta(minutes=1))
    # The bank transfer was on its way: an operator records it after the expiry.
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert order.status == "expired"
    assert payment.status == Payment.Status.REFUNDED
    assert billing_selectors.held_for_order(order.pk).minor == 0


def test_cancelling_an_unpaid_order_cancels_its_payment(
    small_network, customer_alice, django_capture_on_commit_callbacks, fast_matcher
):
    order = place_quoted_order(customer_alice)
    order_cancel(user=customer_alice, order=order, reason="Found another supplier")
    assert Payment.objects.get(order_id=order.pk).status == Payment.Status.CANCELED


def test_one_failing_order_does_not_stop_the_pass_and_operators_hear_of_it(
    operator_olga, monkeypatch, django_capture_on_commit_callbacks
):
    from marketplace.orders import housekeeping

    due = timezone.now() - timedelta(days=1)
    broken, fine = (
        OrderFactory(status="placed", pay_by=due),
        OrderFactory(status="placed", pay_by=due),
    )
    real_expire = housekeeping._expire

    def expire(order):
        if order.pk == broken.pk:
            raise RuntimeError("disk full")
        return real_expire(order)

    monkeypatch.setattr(housekeeping, "_expire", expire)
    with django_capture_on_commit_callbacks(execute=True):
        result = orders_housekeeping()
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert (fine.status, broken.status) == ("expired", "placed")
    assert (result["expired"], result["failed"]) == (1, 1)
    note = operator_olga.notifications.get(kind="housekeeping.failed")
    assert "disk full" in note.body


def test_two_offers_of_one_order_expiring_together_are_both_handled(monkeypatch):
    from marketplace.orders import housekeeping

    first = JobFactory(status="offered", accept_by=timezone.now() - timedelta(hours=1))
    second = JobFactory(
        order=first.order, workshop=first.workshop, machine=first.machine, sequence=1,
        status="offered", accept_by=first.accept_by,
    )  # fmt: skip
    type(first.order).objects.filter(pk=first.order.pk).update(status="paid")
    declined = []

    def decline(*, user, job, reason):
        # The re-plan after the first decline replaces every open offer of the order.
        declined.append(job.pk)
        type(job).objects.filter(order=job.order, status="offered").update(status="superseded")

    monkeypatch.setattr(housekeeping, "job_decline", decline)
    result = orders_housekeeping()
    assert declined == [first.pk] or declined == [second.pk]
    assert (result["missed"], result["failed"]) == (1, 0)
