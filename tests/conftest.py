"""Fixtures shared by every suite: personas, API clients, and guards for real services.

Personas: customer_alice (Acme), workshop_bob (owner of a verified workshop),
workshop_charlie (another workshop), operator_olga (the platform organization).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, WorkshopFactory
from tests.helpers import (
    IN_CI,
    give_second_factor,
    organization_of,
    require_service,
)

pytest_plugins = ["tests.fakestripe.fixtures", "tests.checkout_story"]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached values must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


def pytest_configure(config):
    (Path(settings.BASE_DIR) / "test-artifacts").mkdir(exist_ok=True)


def _member(email: str, name: str, kind: str, role: str = Membership.Role.OWNER):
    organization = OrganizationFactory(name=name, kind=kind)
    user = UserFactory(email=email)
    MembershipFactory(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def customer_alice(db):
    return _member("alice@example.com", "Acme Robotics", Organization.Kind.CUSTOMER)


@pytest.fixture
def workshop_bob(db):
    user = _member("bob@example.com", "Präzision Stuttgart", Organization.Kind.WORKSHOP)
    WorkshopFactory(organization=organization_of(user))
    return user


@pytest.fixture
def workshop_charlie(db):
    user = _member("charlie@example.com", "Eindhoven Precision", Organization.Kind.WORKSHOP)
    WorkshopFactory(organization=organization_of(user), city="Eindhoven", country="NL")
    return user


@pytest.fixture
def operator_olga(db):
    """An operator, with the authenticator app operators must have (tests.helpers.totp_code)."""
    user = _member("olga@example.com", "Cloud Factory Operations", Organization.Kind.PLATFORM)
    give_second_factor(user)
    return user


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def postgres(db):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        if IN_CI:
            pytest.fail("This test needs PostgreSQL: run it through `make test-services`.")
        pytest.skip("needs PostgreSQL (make test-services)")


@pytest.fixture
def redis_url():
    return require_service("Redis", os.environ.get("REDIS_URL"), 6379)


@pytest.fixture
def amqp_url():
    return require_service("RabbitMQ", os.environ.get("TEST_AMQP_URL"), 5672)


@pytest.fixture
def mqtt_url():
    """Mosquitto (or any MQTT 5 broker) for the shop-floor bridge and edge agent tests."""
    return require_service("Mosquitto", os.environ.get("MQTT_TEST_URL"), 1883)


@pytest.fixture
def fast_matcher(settings):
    """Short solver limits for tests that quote through the real matcher."""
    settings.QUOTE_TIME_LIMIT_S = 1.0
    settings.OUTAGE_REPLAN_TIME_LIMIT_S = 1.0
    settings.MATCHING_WORKERS = 1
    settings.QUOTE_SYNC_MAX_SIZE = 10_000


@pytest.fixture
def small_network(db):
    """Two mills, one anodizer and a carrier (see tests/factories/network.py)."""
    from tests.factories.network import build_small_network

    return build_small_network()


@pytest.fixture
def private_cache(settings):
    """A cache of the test's own process: counters that must not be flushed by another xdist
    worker sharing Redis, and expiries that follow ``time_machine`` (Redis keeps real time)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "private-cache",
        }
    }
    cache.clear()
    yield
    cache.clear()
