"""Every operation of the published schema that needs credentials answers 401 (or 403) in the
API's error body when called with none, a made-up token or an expired one, whatever it is
asked."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import User
from tests.api_fuzz.world import build_world
from tests.helpers import error_of

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path template, whether anonymous callers are allowed) of every operation."""
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    operations = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                security = item[method].get("security", schema.get("security", []))
                operations.append((method, path, {} in security or not security))
    return operations


def _filled(path: str, ids: dict) -> str:
    """The template with the world's real ids, so a refusal cannot be a mere 404."""
    segments = path.strip("/").split("/")
    out = []
    for before, segment in zip(["", *segments], segments, strict=False):
        out.append(str(ids.get(before, 1)) if segment.startswith("{") else segment)
    return "/" + "/".join(out) + "/"


def _expired_token(user) -> str:
    token, key = AuthToken.objects.create(user=user, expiry=timedelta(seconds=1))
    AuthToken.objects.filter(pk=token.pk).update(expiry=token.created - timedelta(days=1))
    return key


@pytest.mark.parametrize("credentials", ["none", "made-up", "expired"])
def test_every_operation_needing_credentials_refuses_callers_without_valid_ones(credentials):
    world = build_world()
    customer = User.objects.get(email="alice@example.com")
    header = {
        "none": None,
        "made-up": "Token " + "f" * 64,
        "expired": f"Token {_expired_token(customer)}",
    }[credentials]
    # Real rows, and a real template key (its URL admits letters only).
    ids = {**world.ids, "part-templates": "plate"}
    operations = _operations()
    guarded = [(m, p) for m, p, anonymous in operations if not anonymous]
    assert len(guarded) > 100
    wrong = []
    for method, template in guarded:
        if credentials == "expired":  # knox deletes an expired token it meets: mint another
            header = f"Token {_expired_token(customer)}"
        cache.clear()  # the anonymous throttle counts these refusals (config.api)
        client = APIClient()
        if header:
            client.credentials(HTTP_AUTHORIZATION=header)
        url = _filled(template, ids)
        response = getattr(client, method)(url, {"name": "x", "id": 1}, format="json")
        if response.status_code not in (401, 403):
            wrong.append(f"{method.upper()} {url}: {response.status_code}")
            continue
        if response["Content-Type"] != "application/json" or not error_of(response)["message"]:
            wrong.append(f"{method.upper()} {url}: not the error body")
    assert not wrong, "\n".join(wrong)
