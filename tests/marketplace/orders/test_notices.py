"""Who hears of an order's news is who may open it: hypothesis over every mix of job and leg
statuses, checked against ``Order.visible_to`` for each party."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.orders.models import Job, Order, Shipment
from marketplace.orders.notices import involved_users
from tests.factories import MembershipFactory
from tests.factories.orders import JobFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def _member(organization):
    return MembershipFactory(organization=organization).user


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    job_statuses=st.lists(st.sampled_from(list(Job.Status)), min_size=1, max_size=4),
    leg_statuses=st.lists(st.sampled_from(list(Shipment.Status)), max_size=3),
)
def test_the_told_are_exactly_those_who_may_open_the_order(job_statuses, leg_statuses):
    order = OrderFactory()
    customer = _member(order.organization)
    parties = [customer]
    for i, status in enumerate(job_statuses):
        job = JobFactory(order=order, status=status, sequence=i)
        parties.append(_member(job.workshop.organization))
    for status in leg_statuses:
        leg = ShipmentFactory(order=order, status=status)
        parties.append(_member(leg.carrier.organization))

    told = {u.pk for u in involved_users(order)}
    may_open = {u.pk for u in parties if Order.objects.visible_to(u).filter(pk=order.pk).exists()}
    assert told == may_open
    assert customer.pk in told
