"""Timers: unpaid orders expire, delivered orders complete by themselves."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import OrderEvent
from tests.factories.orders import OrderFactory

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
