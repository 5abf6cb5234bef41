"""The domain emits its events through the real services, each to its own parties only."""

import json
from collections import defaultdict

import pytest

from accounts.webhooks.events import API_VERSION, EVENT_TYPES
from accounts.webhooks.models import WebhookDelivery
from billing import services as billing
from billing.models import Payout
from marketplace.api.webhook_events import EVENT_SERIALIZERS
from marketplace.network.models import Machine
from marketplace.network.services import machine_status_set
from marketplace.orders.jobs import job_accept, job_complete, job_start
from marketplace.orders.models import Job, Order, Shipment
from marketplace.orders.services import order_cancel, order_complete, order_confirm_delivery
from marketplace.orders.shipments import shipment_hand_over, shipment_receive
from tests.accounts.webhooks.receiver import running_receiver
from tests.accounts.webhooks.story import endpoint_for
from tests.factories.network import member_for
from tests.helpers import legs_ready_to_leave, organization_of, pay_manually, place_quoted_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def _owners_of(order: Order) -> dict[str, set[int]]:
    """Which organizations own each object the events speak of."""
    owners: dict[str, set[int]] = defaultdict(set)
    for job in Job.objects.filter(order=order).select_related("workshop"):
        owners[f"job:{job.pk}"] = {job.workshop.organization_id}
    for leg in Shipment.objects.filter(order=order).select_related(
        "origin", "destination", "carrier"
    ):
        receiver = order.organization_id if leg.to_customer else leg.destination.organization_id
        owners[f"shipment:{leg.pk}"] = {
            leg.origin.organization_id,
            leg.carrier.organization_id,
            receiver,
        }
    owners[f"order:{order.pk}"] = {order.organization_id}
    return owners


def _subject(event: dict) -> str:
    kind, data = next(iter(event["data"].items()))
    return f"{kind}:{data['id']}"


def test_the_whole_story_reaches_each_party_with_only_its_own_events(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    capture = django_capture_on_commit_callbacks
    with running_receiver() as receiver:
        users = {customer_alice, *(member_for(small_network, w.pk) for w in _workshops())}
        users |= {m.user for m in _carrier_memberships()}
        endpoints = {}
        for user in users:
            organization = organization_of(user)
            endpoints[organization.pk] = endpoint_for(
                user, f"{receiver.url}/{organization.pk}", event_types=list(EVENT_TYPES)
            )

        order = place_quoted_order(customer_alice)
        pay_manually(order, operator_olga, capture)
        for job in order.jobs.filter(status="offered"):
            with capture(execute=True):
                job_accept(user=member_for(small_network, job.workshop_id), job=job)
        milling = order.jobs.filter(process__code="cnc-3axis", status="accepted").first()
        owner = member_for(small_network, milling.workshop_id)
        with capture(execute=True):
            machine_status_set(user=owner, machine=milling.machine, status="down", note="Crash")
        with capture(execute=True):
            machine_status_set(user=owner, machine=milling.machine, status="available")
        for job in order.jobs.filter(status="offered"):
            with capture(execute=True):
                job_accept(user=member_for(small_network, job.workshop_id), job=job)
        for job in order.jobs.filter(status="accepted").order_by("planned_start"):
            worker = member_for(small_network, job.workshop_id)
            with capture(execute=True):
                job_start(user=worker, job=job)
                job_complete(user=worker, job=job)
            for leg in legs_ready_to_leave(order, job):
                with capture(execute=True):
                    shipment_hand_over(user=worker, shipment=leg, tracking_number="TRK1")
                    if not leg.to_customer:
                        receiving = member_for(small_network, leg.destination_id)
                        shipment_receive(user=receiving, shipment=leg)
        with capture(execute=True):
            order_confirm_delivery(user=customer_alice, order=order)
            order_complete(user=customer_alice, order=order)
        for payout in Payout.objects.filter(order_id=order.pk):
            billing.payout_execute(payout=payout)
            with capture(execute=True):
                billing.payout_confirm_manual(operator=operator_olga, payout=payout)
        other = place_quoted_order(customer_alice)
        with capture(execute=True):
            order_cancel(user=customer_alice, order=other, reason="Changed the design")

    owners = _owners_of(order) | _owners_of(other)
    seen = set()
    for request in receiver.requests:
        event = json.loads(request.body)
        organization_id = int(request.path.rsplit("/", 1)[1])
        assert event["organization"] == organization_id
        assert event["api_version"] == API_VERSION
        seen.add(event["type"])
        documented = EVENT_SERIALIZERS[event["type"]](data=event)
        assert documented.is_valid(), (event["type"], documented.errors)
        assert _keys(documented.validated_data) == _keys(event)  # no field left undocumented
        subject = _subject(event)
        if subject.startswith("payout:"):
            assert Payout.objects.get(pk=event["data"]["payout"]["id"]).party_id == organization_id
        elif subject.startswith("machine:"):
            machine = Machine.objects.select_related("workshop").get(pk=subject.split(":")[1])
            assert machine.workshop.organization_id == organization_id
        else:
            assert organization_id in owners[subject], (event["type"], subject)
    assert seen == set(EVENT_TYPES)
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()


def _keys(value, prefix="") -> set[str]:
    if not isinstance(value, dict):
        return set()
    keys = set()
    for key, inner in value.items():
        keys |= {f"{prefix}{key}"} | _keys(inner, f"{prefix}{key}.")
    return keys


def _workshops():
    from marketplace.network.models import Workshop

    return Workshop.objects.all()


def _carrier_memberships():
    from accounts.models import Membership
    from marketplace.network.models import Carrier

    return Membership.objects.filter(
        organization_id__in=Carrier.objects.values("organization_id")
    ).select_related("user")


def test_without_endpoints_an_event_writes_nothing(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    assert order.status == "paid"
    assert not WebhookDelivery.objects.exists()
