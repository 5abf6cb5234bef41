"""API tokens expire, renew by use or by hand on the tokens page, and are created within a limit."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]


def _create(client, user) -> str:
    client.force_login(user)
    page = client.post(reverse("token_list")).content.decode()
    return page.split('data-testid="new-token">')[1].split("<")[0]


def _me(token: str) -> int:
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return machine.get("/api/v1/me/").status_code


def test_a_new_token_expires_after_the_set_days(client, customer_alice):
    token = _create(client, customer_alice)
    stored = AuthToken.objects.get(user=customer_alice)
    assert stored.expiry is not None
    assert abs(stored.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert _me(token) == 401


def test_a_token_in_use_renews_itself(client, customer_alice):
    token = _create(client, customer_alice)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=20)):
        assert _me(token) == 200
    with time_machine.travel(start + timedelta(days=45)):
        assert _me(token) == 200


def test_the_owner_renews_a_token_on_the_tokens_page(client, customer_alice):
    token = _create(client, customer_alice)
    stored = AuthToken.objects.get(user=customer_alice)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=29)):
        client.force_login(customer_alice)
        client.post(reverse("token_list"), {"action": "renew", "token_id": stored.pk})
    with time_machine.travel(start + timedelta(days=50)):
        assert _me(token) == 200


def test_the_tokens_page_shows_when_each_token_expires(client, customer_alice):
    _create(client, customer_alice)
    page = client.get(reverse("token_list")).content.decode()
    expiry = AuthToken.objects.get(user=customer_alice).expiry
    assert f"{expiry:%Y-%m-%d}" in page.split('data-testid="token-expiry">')[1]


def test_nobody_renews_another_users_token(client, customer_alice, workshop_bob):
    AuthToken.objects.create(user=workshop_bob)
    stored = AuthToken.objects.get(user=workshop_bob)
    before = stored.expiry
    client.force_login(customer_alice)
    client.post(reverse("token_list"), {"action": "renew", "token_id": stored.pk})
    stored.refresh_from_db()
    assert stored.expiry == before


def test_an_expired_token_cannot_be_renewed(client, customer_alice):
    token = _create(client, customer_alice)
    stored = AuthToken.objects.get(user=customer_alice)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        client.force_login(customer_alice)
        client.post(reverse("token_list"), {"action": "renew", "token_id": stored.pk})
        assert _me(token) == 401


def test_token_creation_is_limited_per_hour(client, settings, customer_alice):
    settings.API_TOKENS_PER_HOUR = 3
    for _ in range(5):
        client.force_login(customer_alice)
        client.post(reverse("token_list"))
    assert AuthToken.objects.filter(user=customer_alice).count() == 3
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        client.force_login(customer_alice)
        client.post(reverse("token_list"))
    assert AuthToken.objects.filter(user=customer_alice).count() == 4


def test_tokens_made_before_expiry_existed_get_one(customer_alice):
    AuthToken.objects.create(user=customer_alice, expiry=None)
    migration = importlib.import_module("accounts.migrations.0003_api_tokens_expire")
    migration.give_expiry(apps, None)
    expiry = AuthToken.objects.get(user=customer_alice).expiry
    assert expiry is not None
    assert expiry > timezone.now() + timedelta(days=29)
