"""Device keys in the admin: issued acting as a member of the workshop, secret shown once,
revoked in bulk."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from marketplace.shopfloor.models import DeviceKey
from tests.factories import MachineFactory, UserFactory
from tests.helpers import admin_sign_in, workshop_of
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    admin_sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_issued_key_acts_as_a_member_and_its_secret_is_shown_once(root, workshop_bob):
    workshop = workshop_of(workshop_bob)
    response = root.post(
        reverse("admin:marketplace_devicekey_add"),
        {"workshop": workshop.pk, "name": "Hall 3", "created_by": workshop_bob.pk},
    )
    assert response.status_code == 302
    key = DeviceKey.objects.get()
    assert (key.workshop, key.created_by, key.name) == (workshop, workshop_bob, "Hall 3")
    shown = [m.message for m in get_messages(response.wsgi_request)]
    assert any(key.key_id in m and "secret" in m for m in shown)


def test_a_key_cannot_act_as_someone_outside_the_workshop(root, workshop_bob, workshop_charlie):
    response = root.post(
        reverse("admin:marketplace_devicekey_add"),
        {"workshop": workshop_of(workshop_bob).pk, "name": "x", "created_by": workshop_charlie.pk},
    )
    assert response.status_code == 200
    assert b"is not a member of" in response.content
    assert not DeviceKey.objects.exists()


def test_the_revoke_action_refuses_the_keys_events(root, workshop_bob):
    device = device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))
    key = DeviceKey.objects.get()
    root.post(
        reverse("admin:marketplace_devicekey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.is_revoked
    assert device.send("status", status="down").code == "revoked_key"
