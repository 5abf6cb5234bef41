"""`/healthz` answers 200 when every service answers, 503 naming the one that does not."""

import pytest
from django.test import Client

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


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "text/plain"),  # curl, most load-balancer probes
        ("*/*", "text/plain"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json", "application/json"),
        ("image/png", "text/plain"),  # nothing we speak: still an answer, not 406
        ("garbage;;", "text/plain"),  # malformed: still an answer, not 500
    ],
)
def test_every_probe_gets_200_whatever_it_accepts(client, accept, content_type):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = client.get("/healthz", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_the_page_for_a_browser_names_each_service(client):
    response = client.get("/healthz", HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert "all systems working" in page
    assert "Database(alias=&#x27;default&#x27;)" in page or "Database(alias='default')" in page


def test_plain_text_names_each_service_on_its_own_line(client):
    lines = client.get("/healthz").content.decode().splitlines()
    assert "Database(alias='default'): OK" in lines
    assert "Broker(): OK" in lines


def test_head_answers_200_without_a_body(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_a_dead_broker_gives_503_to_a_plain_probe_too(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert client.get("/healthz").status_code == 503
    assert client.head("/healthz").status_code == 503
    page = client.get("/healthz", HTTP_ACCEPT="text/html").content.decode()
    assert "degraded" in page
    assert "broker cannot be reached" in page


def test_a_trailing_slash_is_the_same_probe(client):
    assert client.get("/healthz/").status_code == 200
    assert client.head("/healthz/").status_code == 200


def test_writes_are_not_allowed_and_say_so():
    client = Client(enforce_csrf_checks=True)  # as a real probe: no CSRF cookie
    for method in (client.post, client.put, client.delete, client.patch):
        response = method("/healthz")
        assert response.status_code == 405
        assert "GET" in response["Allow"]


def test_a_failed_check_logs_one_line_without_a_traceback(client, settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with caplog.at_level("WARNING", logger="health_check"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "health_check"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert "broker cannot be reached" in records[0].getMessage()


def test_a_probe_with_thousands_of_query_fields_still_gets_its_answer(client):
    query = "&".join(["a=1"] * 1100)
    response = client.get(f"/healthz?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("application/JSON", "application/json"), ("TEXT/HTML", "text/html")],
)
def test_media_types_are_read_whatever_their_case(client, accept, content_type):
    response = client.get("/healthz", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_a_dead_cache_logs_one_line_without_a_traceback(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with caplog.at_level("WARNING", logger="health_check"):
        assert client.get("/healthz").status_code == 503
    records = [r for r in caplog.records if r.name == "health_check"]
    assert records
    assert all(r.exc_info is None for r in records)
