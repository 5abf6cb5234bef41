"""The live machine view and device keys in the browser: each workshop sees its own floor,
operators see every floor, a secret is shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.network.models import Machine
from marketplace.shopfloor.models import DeviceKey, MachineFeed
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.orders.outage_story import mill, order_with
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.django_db


def test_a_workshop_sees_what_its_machines_say_and_not_anothers(
    client, small_network, django_assert_max_num_queries
):
    machine = mill("Stuttgart")
    order = order_with((machine, timezone.now() - timedelta(hours=1), 3, "in_progress", 35))
    device = device_of(small_network["bob"], machine)
    device.send("counters", counters={"parts": 7})
    client.force_login(small_network["bob"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("shopfloor_live"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="machine-{machine.pk}"' in html
    assert order.reference in html
    assert "35 %" in html
    assert "parts 7" in html
    assert f'data-testid="machine-{mill("Eindhoven").pk}"' not in html


def test_the_table_refreshes_alone_in_the_same_number_of_queries_for_more_machines(
    client, workshop_bob, django_assert_num_queries
):
    client.force_login(workshop_bob)
    MachineFactory(workshop=workshop_of(workshop_bob))
    with django_assert_num_queries(7) as few:  # memberships read once (operator, 2nd factor)
        client.get(reverse("shopfloor_live"), headers={"HX-Request": "true"})
    MachineFactory.create_batch(4, workshop=workshop_of(workshop_bob))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("shopfloor_live"), headers={"HX-Request": "true"})
    assert b"<html" not in page.content
    assert page.content.count(b'data-testid="machine-') == 5


def test_a_silent_machine_is_marked_silent(client, workshop_bob):
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    MachineFeed.objects.create(
        machine=machine, last_seen_at=timezone.now() - timedelta(minutes=10), silent_after_s=60
    )
    client.force_login(workshop_bob)
    assert b'data-testid="silent"' in client.get(reverse("shopfloor_live")).content


def test_a_new_key_shows_its_secret_once(client, workshop_bob):
    client.force_login(workshop_bob)
    page = client.post(reverse("device_key_new"), {"name": "Hall 2 Pi"})
    key = DeviceKey.objects.get()
    assert key.name == "Hall 2 Pi"
    assert key.created_by == workshop_bob
    assert b'data-testid="new-key"' in page.content
    assert key.key_id.encode() in page.content
    again = client.get(reverse("shopfloor_live"))
    assert key.key_id.encode() in again.content
    assert b'data-testid="new-key"' not in again.content


def test_a_key_without_a_name_is_refused_with_a_message(client, workshop_bob):
    client.force_login(workshop_bob)
    page = client.post(reverse("device_key_new"), {"name": "  "})
    assert page.status_code == 200
    assert b"required" in page.content
    assert not DeviceKey.objects.exists()


def test_only_the_workshop_revokes_its_key(client, workshop_bob, workshop_charlie):
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    key = DeviceKey.objects.get(key_id=device.key_id)
    client.force_login(workshop_charlie)
    assert client.post(reverse("device_key_revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert not key.is_revoked
    client.force_login(workshop_bob)
    client.post(reverse("device_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.is_revoked
    assert device.send("status", status="down").code == "revoked_key"


def test_silence_settings_are_saved_and_a_bad_value_changes_nothing(client, workshop_bob):
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    client.force_login(workshop_bob)
    url = reverse("machine_feed_settings", args=[machine.pk])
    client.post(url, {"silent_after_s": 120, "down_when_silent": "on"})
    feed = MachineFeed.objects.get(machine=machine)
    assert (feed.silent_after_s, feed.down_when_silent) == (120, True)
    page = client.post(url, {"silent_after_s": 5}, follow=True)
    assert b"Nothing changed" in page.content
    feed.refresh_from_db()
    assert (feed.silent_after_s, feed.down_when_silent) == (120, True)


def test_another_workshop_cannot_change_silence_settings(client, workshop_bob, workshop_charlie):
    machine = MachineFactory(workshop=workshop_of(workshop_bob))
    client.force_login(workshop_charlie)
    url = reverse("machine_feed_settings", args=[machine.pk])
    assert client.post(url, {"silent_after_s": 60}).status_code == 404
    assert not MachineFeed.objects.exists()


def test_operators_see_every_floor_and_customers_none(
    client, workshop_bob, workshop_charlie, operator_olga, customer_alice
):
    bobs = MachineFactory(workshop=workshop_of(workshop_bob))
    charlies = MachineFactory(workshop=workshop_of(workshop_charlie))
    client.force_login(operator_olga)
    html = client.get(reverse("shopfloor_live")).content.decode()
    assert f"machine-{bobs.pk}" in html
    assert f"machine-{charlies.pk}" in html
    one = client.get(reverse("shopfloor_live"), {"workshop": workshop_of(workshop_bob).pk})
    assert f"machine-{charlies.pk}" not in one.content.decode()
    client.force_login(customer_alice)
    assert client.get(reverse("shopfloor_live")).status_code == 403
    assert Machine.objects.count() == 2
