"""The operator's outage what-if: the real re-plan, run and rolled back, and the take-down.

Orders are built from factories on the small network (mills in Stuttgart and Eindhoven), so
each re-plan is one short solve; the matcher runs for real.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Notification
from billing.models import LedgerEntry, LedgerTransaction
from marketplace.network.models import CapacityBooking, Machine, MachineStatusChange
from marketplace.orders.models import Job, Order, OrderEvent, Shipment
from marketplace.orders.outage_preview import outage_preview
from marketplace.orders.outages import (
    OUTAGE_PENDING_KEY,
    OUTAGE_RUNNING_KEY,
    RECOVERY_PENDING_KEY,
    RECOVERY_RUNNING_KEY,
)
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import api_client_for, at, error_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]
LIVE = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)
PAGE = "/operations/outages/"


def mill(city: str) -> Machine:
    return Machine.objects.get(name__startswith="Mill of", workshop__city=city)


def order_on(machine: Machine, start, *, status: str = "paid", hours: int = 2, cost=4000):
    """A paid order of one accepted milling step, priced well above any re-plan of it."""
    order = OrderFactory(status=status, promised_delivery_at=at(12, 12), price_minor=10_000_000)
    job = JobFactory(
        order=order,
        workshop=machine.workshop,
        machine=machine,
        process=machine.process,
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        accept_by=timezone.now() + timedelta(hours=24),
        status=Job.Status.ACCEPTED,
        cost_minor=cost,
    )
    job.booking = CapacityBooking.objects.create(
        machine=machine, starts_at=job.planned_start, ends_at=job.planned_end, reference="x"
    )
    job.save(update_fields=["booking"])
    return order


def fingerprint() -> dict:
    """Everything an outage could change, row by row where it matters."""
    return {
        "jobs": sorted(Job.objects.values_list("pk", "status", "machine_id", "planned_start")),
        "bookings": sorted(
            CapacityBooking.all_objects.values_list("pk", "machine_id", "starts_at", "kind")
        ),
        "machines": sorted(Machine.objects.values_list("pk", "status", "status_until")),
        "orders": sorted(Order.objects.values_list("pk", "status", "plan_version")),
        "events": OrderEvent.objects.count(),
        "shipments": sorted(Shipment.objects.values_list("pk", "status")),
        "notifications": Notification.objects.count(),
        "status_changes": MachineStatusChange.objects.count(),
        "ledger": (LedgerTransaction.objects.count(), LedgerEntry.objects.count()),
    }


def preview_of(network, city: str = "Stuttgart", **kwargs):
    return outage_preview(user=network["olga"], workshop=network[city.lower()], **kwargs)


@pytest.fixture
def network(small_network, operator_olga):
    return {**small_network, "olga": operator_olga}


# -- what the preview says ---------------------------------------------------------------------


def test_the_preview_lists_the_open_orders_on_the_workshop_with_where_they_would_go(network):
    first = order_on(mill("Stuttgart"), at(2, 8))
    second = order_on(mill("Stuttgart"), at(2, 11))
    order_on(mill("Eindhoven"), at(3, 8))  # another workshop: untouched
    order_on(mill("Stuttgart"), at(4, 8), status="delivered")  # closed: never re-planned

    preview = preview_of(network)

    assert {i.reference for i in preview.orders} == {first.reference, second.reference}
    for impact in preview.orders:
        (move,) = impact.moves
        assert move.from_workshop == str(network["stuttgart"])
        assert move.to_workshop == str(network["eindhoven"])
        assert move.to_machine == mill("Eindhoven").name
        assert impact.cost_change_minor == impact.cost_after_minor - impact.cost_before_minor
        assert impact.delivery_after is not None
        assert not impact.needs_operator
    assert preview.cost_change_by_currency == {
        "EUR": sum(i.cost_change_minor for i in preview.orders)
    }
    assert set(preview.machines) == set(
        network["stuttgart"].machines.values_list("name", flat=True)
    )


def test_the_preview_changes_nothing_and_sends_nothing(network, django_capture_on_commit_callbacks):
    order_on(mill("Stuttgart"), at(2, 8))
    order_on(mill("Stuttgart"), at(2, 11))
    before = fingerprint()
    with mock.patch("config.live.publish") as publish, django_capture_on_commit_callbacks() as cb:
        preview = preview_of(network)
    assert len(preview.orders) == 2
    assert cb == []  # no e-mail, live event or task is waiting for a commit
    publish.assert_not_called()
    assert fingerprint() == before


def test_the_preview_leaves_the_outage_cache_keys_as_it_found_them(network):
    order_on(mill("Stuttgart"), at(2, 8))
    cache.set(OUTAGE_PENDING_KEY, "a real outage waits", timeout=60)
    cache.set(RECOVERY_PENDING_KEY, "a recovery waits", timeout=60)
    preview_of(network)
    assert cache.get(OUTAGE_PENDING_KEY) == "a real outage waits"
    assert cache.get(RECOVERY_PENDING_KEY) == "a recovery waits"
    assert cache.get(OUTAGE_RUNNING_KEY) is None
    assert cache.get(RECOVERY_RUNNING_KEY) is None
    cache.delete(OUTAGE_PENDING_KEY)
    preview_of(network)
    assert cache.get(OUTAGE_PENDING_KEY) is None


def test_a_preview_while_a_real_replan_runs_is_refused_and_changes_nothing(network):
    order_on(mill("Stuttgart"), at(2, 8))
    cache.set(OUTAGE_RUNNING_KEY, 1, timeout=60)
    before = fingerprint()
    response = api_client_for(network["olga"]).post(
        "/api/v1/outages/preview/", {"workshop": network["stuttgart"].pk}, format="json"
    )
    assert response.status_code == 409
    assert "re-plan is running" in error_of(response)["message"]
    assert fingerprint() == before
    assert cache.get(OUTAGE_RUNNING_KEY) == 1


def test_a_step_nobody_can_take_is_shown_as_needing_an_operator(network):
    order = order_on(mill("Stuttgart"), at(2, 8))
    order_on(mill("Stuttgart"), at(3, 8))
    # The only other mill is down already.
    Machine.objects.filter(pk=mill("Eindhoven").pk).update(status=Machine.Status.DOWN)
    preview = preview_of(network)
    impact = next(i for i in preview.orders if i.reference == order.reference)
    assert impact.needs_operator
    assert any(not move.has_taker for move in impact.moves)
    assert preview.needing_operator == len(preview.orders)


def test_only_the_chosen_machines_go_down_in_the_preview(network):
    order_on(mill("Stuttgart"), at(2, 8))
    deburr = Machine.objects.get(name__startswith="Deburr of", workshop__city="Stuttgart")
    preview = preview_of(network, machine_ids=[deburr.pk])
    assert preview.machines == (deburr.name,)
    assert preview.orders == ()


# -- everything stays as it was, whatever the network ------------------------------------------

NETWORKS = st.lists(
    st.tuples(
        st.sampled_from(["Stuttgart", "Eindhoven"]),
        st.integers(min_value=1, max_value=5),  # day
        st.integers(min_value=6, max_value=18),  # hour
        st.sampled_from(["paid", "in_production", "placed", "delivered"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders=NETWORKS, down=st.sampled_from(["Stuttgart", "Eindhoven"]))
def test_random_previews_change_nothing_and_list_exactly_the_open_orders_on_the_workshop(
    network, orders, down
):
    with transaction.atomic():
        expected = set()
        for city, day, hour, status in orders:
            machine, start = mill(city), at(day, hour)
            if Job.objects.filter(
                machine=machine,
                planned_start__lt=start + timedelta(hours=2),
                planned_end__gt=start,
            ).exists():
                continue
            order = order_on(machine, start, status=status)
            if city == down and status != "delivered":
                expected.add(order.reference)
        before = fingerprint()
        preview = preview_of(network, down)
        assert {i.reference for i in preview.orders} == expected
        assert fingerprint() == before
        assert cache.get(OUTAGE_RUNNING_KEY) is None
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_nothing_leaves_the_preview(small_network, operator_olga, settings):
    """No outer test transaction here: the preview's own transaction is the outermost one."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    order_on(mill("Stuttgart"), at(2, 8))
    before = fingerprint()
    with (
        mock.patch("config.live.publish") as publish,
        mock.patch("marketplace.orders.tasks.outage_replan_task.apply_async") as enqueue,
    ):
        preview = outage_preview(user=operator_olga, workshop=small_network["stuttgart"])
    assert len(preview.orders) == 1
    publish.assert_not_called()
    enqueue.assert_not_called()
    assert mail.outbox == []
    assert fingerprint() == before


# -- who may ask, and bad questions ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "bob", "anonymous"])
def test_only_operators_reach_the_what_if(network, customer_alice, client, persona):
    user = {"alice": customer_alice, "bob": network["bob"]}.get(persona)
    workshop = network["stuttgart"].pk
    if user is not None:
        client.force_login(user)
    page = client.get(PAGE, {"workshop": workshop})
    assert page.status_code == (302 if user is None else 403)
    api = api_client_for(user) if user else api_client_for(None)
    for url in ("/api/v1/outages/preview/", "/api/v1/outages/"):
        response = api.post(url, {"workshop": workshop, "reason": "x"}, format="json")
        assert response.status_code in (401, 403)
    assert not Machine.objects.exclude(status=Machine.Status.AVAILABLE).exists()


def test_an_unknown_workshop_gets_a_clear_message(network, client):
    client.force_login(network["olga"])
    page = client.get(PAGE, {"workshop": 99999})
    assert page.status_code == 200
    assert b"There is no such workshop" in page.content
    response = api_client_for(network["olga"]).post(
        "/api/v1/outages/preview/", {"workshop": 99999}, format="json"
    )
    assert response.status_code == 400
    assert "There is no workshop 99999" in str(response.json())


def test_a_workshop_with_nothing_booked_shows_a_clear_empty_state(network, client):
    client.force_login(network["olga"])
    page = client.get(PAGE, {"workshop": network["stuttgart"].pk})
    assert page.status_code == 200
    assert b"taking them down moves nothing" in page.content
    assert b"Take Mill Works down" in page.content
    body = api_client_for(network["olga"]).post(
        "/api/v1/outages/preview/", {"workshop": network["stuttgart"].pk}, format="json"
    )
    assert body.status_code == 200
    assert body.json()["orders"] == []


def test_a_machine_of_another_workshop_or_a_past_end_is_refused_with_a_message(network, client):
    client.force_login(network["olga"])
    other = mill("Eindhoven").pk
    page = client.get(PAGE, {"workshop": network["stuttgart"].pk, "machines": [other]})
    assert b"is not one of this workshop" in page.content
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(PAGE, {"workshop": network["stuttgart"].pk, "until": past})
    assert b"must lie in the future" in page.content
    api = api_client_for(network["olga"])
    response = api.post(
        "/api/v1/outages/preview/",
        {"workshop": network["stuttgart"].pk, "machines": [other]},
        format="json",
    )
    assert response.status_code == 400
    assert "Only machines of" in error_of(response)["message"]


def test_a_workshop_already_down_gets_a_message_not_an_error(network, client):
    Machine.objects.filter(workshop=network["stuttgart"]).update(status=Machine.Status.DOWN)
    client.force_login(network["olga"])
    page = client.get(PAGE, {"workshop": network["stuttgart"].pk})
    assert page.status_code == 200
    assert b"has no available machine to take down" in page.content


# -- the take-down, confirmed ------------------------------------------------------------------


def test_confirming_takes_the_workshop_down_and_the_real_replan_follows(
    network, client, django_capture_on_commit_callbacks
):
    order = order_on(mill("Stuttgart"), at(2, 8))
    client.force_login(network["olga"])
    preview = client.get(PAGE, {"workshop": network["stuttgart"].pk})
    assert order.reference.encode() in preview.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            PAGE, {"workshop": network["stuttgart"].pk, "status": "down", "reason": "Flooded hall"}
        )
    assert response.status_code == 302
    machines = Machine.objects.filter(workshop=network["stuttgart"])
    assert set(machines.values_list("status", flat=True)) == {"down"}
    change = MachineStatusChange.objects.filter(machine__in=machines).first()
    assert (change.changed_by, change.note) == (network["olga"], "Flooded hall")
    new = order.jobs.get(status__in=LIVE)
    assert new.machine_id == mill("Eindhoven").pk
    assert Notification.objects.filter(user=network["charlie"], kind="job.offered").exists()


def test_confirming_without_a_reason_changes_nothing(network, client):
    order_on(mill("Stuttgart"), at(2, 8))
    client.force_login(network["olga"])
    before = fingerprint()
    response = client.post(PAGE, {"workshop": network["stuttgart"].pk, "status": "down"})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert fingerprint() == before


def test_the_api_takes_chosen_machines_down_for_an_operator(
    network, django_capture_on_commit_callbacks
):
    until = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(network["olga"]).post(
            "/api/v1/outages/",
            {
                "workshop": network["stuttgart"].pk,
                "machines": [mill("Stuttgart").pk],
                "status": "maintenance",
                "until": until.isoformat(),
                "reason": "Spindle change",
            },
            format="json",
        )
    assert response.status_code == 201
    assert [m["id"] for m in response.json()] == [mill("Stuttgart").pk]
    assert mill("Stuttgart").status == "maintenance"
    assert Machine.objects.filter(status="available", workshop=network["stuttgart"]).count() == 2


def test_a_workshop_member_cannot_take_the_whole_workshop_down_through_the_service(network):
    from marketplace.errors import PermissionDenied
    from marketplace.network.services import workshop_take_down

    with pytest.raises(PermissionDenied):
        workshop_take_down(user=network["bob"], workshop=network["stuttgart"], note="Nope")
    assert not Machine.objects.exclude(status=Machine.Status.AVAILABLE).exists()
