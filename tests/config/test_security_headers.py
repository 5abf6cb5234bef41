"""Security headers on every page: a Content-Security-Policy without inline scripts, a nonce
for the one inline block the pages need, and a Permissions-Policy."""

import re

import pytest

from tests.factories.designs import DesignRevisionFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


def _policy(response) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in response["Content-Security-Policy"].split(";"))
    return dict(parts)


def _inline_scripts(html: str) -> list[str]:
    """Script elements with a body that would run (not src=, not JSON data)."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return [t for t in tags if "src=" not in t and 'type="application/json"' not in t]


def test_pages_forbid_inline_scripts_and_styles(client, customer_alice):
    client.force_login(customer_alice)
    policy = _policy(client.get("/dashboard/"))
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    "url", ["/dashboard/", "/designs/", "/settings/tokens/", "/notifications/", "/orders/"]
)
def test_pages_carry_no_inline_script_or_handler(client, customer_alice, url):
    client.force_login(customer_alice)
    html = client.get(url).content.decode()
    assert _inline_scripts(html) == []
    assert INLINE_HANDLER.findall(html) == []


def test_the_design_pages_import_map_carries_the_requests_nonce(client, customer_alice):
    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    client.force_login(customer_alice)
    response = client.get(f"/designs/{revision.design_id}/")
    nonce = re.search(r'<script type="importmap" nonce="([^"]+)">', response.content.decode())
    assert nonce is not None
    assert f"'nonce-{nonce.group(1)}'" in _policy(response)["script-src"]
    other = client.get(f"/designs/{revision.design_id}/")
    assert nonce.group(1) not in other["Content-Security-Policy"]


def test_the_api_docs_page_needs_no_inline_script(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert _inline_scripts(html) == []
    assert "<style" not in html


def test_every_response_switches_off_unused_browser_features(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in header


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8765", "testserver"])
def test_connect_src_opens_the_websockets_of_the_host_serving_the_page(client, settings, host):
    """Before: connect-src named SITE_URL's websocket only, so a page served under another
    host (or with SITE_URL unset) could not open its live socket where browsers read ws: as
    other than 'self'."""
    settings.SITE_URL = "https://factory.example"
    sources = _policy(client.get("/accounts/login/", HTTP_HOST=host))["connect-src"].split()
    assert sources == ["'self'", f"ws://{host}", f"wss://{host}"]


def test_a_refused_host_adds_no_websocket_source(client, settings):
    settings.DEBUG = False
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert _policy(response)["connect-src"] == "'self'"
