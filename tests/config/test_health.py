"""`/healthz` answers 200 when every service answers, 503 naming the one that does not."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_is_ok_on_the_embedded_default(client):
    response = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert set(response.json().values()) == {"OK"}


def test_a_dead_broker_gives_503_and_names_it(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    body = response.json()
    assert "broker cannot be reached" in body["Broker()"]
    assert body["Database(alias='default')"] == "OK"


def test_a_dead_cache_gives_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    from django.core.cache import caches

    caches._settings = None  # let the cache handler read the overridden setting
    try:
        response = client.get("/healthz", HTTP_ACCEPT="application/json")
    finally:
        caches._settings = None
    assert response.status_code == 503
    assert response.json()["Cache(alias='default')"] != "OK"
