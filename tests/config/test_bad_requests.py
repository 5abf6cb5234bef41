"""Requests Django refuses before any view (a multipart body it cannot read, too many files, a
Host this site does not serve) answer in the API's error body under /api/; they gave Django's
bare HTML 400 page, which no API client can read. The site's pages keep the HTML page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import api_client_for, error_of

pytestmark = pytest.mark.django_db

NO_BOUNDARY = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nA\r\n--x--\r\n'


def _session_client_with_csrf(user) -> Client:
    """A signed-in browser whose POST carries no CSRF header, so Django reads the form body to
    find the token (as a plain HTML form would)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "a" * 32
    return client


def test_a_multipart_body_without_a_boundary_is_a_parse_error_in_json(customer_alice):
    client = _session_client_with_csrf(customer_alice)
    response = client.generic(
        "POST", "/api/v1/designs/", NO_BOUNDARY, content_type="multipart/form-data"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "parse_error"


def test_a_multipart_body_without_a_boundary_from_a_token_client_is_a_parse_error(
    customer_alice,
):
    response = api_client_for(customer_alice).generic(
        "POST", "/api/v1/designs/", NO_BOUNDARY, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def _files(count: int) -> dict:
    return {f"file{n}": SimpleUploadedFile(f"part{n}.stl", b"solid x") for n in range(count)}


def test_too_many_files_in_one_upload_is_too_large_in_json(customer_alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = api_client_for(customer_alice).post("/api/v1/designs/", _files(3))
    assert response.status_code == 413, response.content
    assert error_of(response)["code"] == "too_large"
    assert "at most 2 files" in error_of(response)["message"]


def test_too_many_files_read_for_the_csrf_token_is_too_large_in_json(customer_alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = _session_client_with_csrf(customer_alice).post("/api/v1/designs/", _files(3))
    assert response.status_code == 413, response.content
    assert error_of(response)["code"] == "too_large"


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/no-such-thing/"])
def test_a_foreign_host_under_the_api_is_refused_in_json(customer_alice, url):
    response = api_client_for(customer_alice).get(url, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "bad_request"
    assert "Host" in error_of(response)["message"]


def test_a_foreign_host_on_a_site_page_keeps_the_html_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_site_form_without_a_boundary_keeps_the_html_page(client, customer_alice):
    client.force_login(customer_alice)
    client.cookies["csrftoken"] = "a" * 32
    response = Client(enforce_csrf_checks=True, cookies=client.cookies).generic(
        "POST", "/quotes/new/", NO_BOUNDARY, content_type="multipart/form-data"
    )
    assert response.status_code in (400, 403)  # the CSRF check may refuse first
    assert response["Content-Type"].startswith("text/html")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300), boundary=st.sampled_from(["", "; boundary=x", "; boundary="]))
def test_no_multipart_body_gives_a_server_error(customer_alice, body, boundary):
    """Any bytes, with or without a boundary: a 4xx in the error body, never a 5xx."""
    response = api_client_for(customer_alice).generic(
        "POST", "/api/v1/designs/", body, content_type=f"multipart/form-data{boundary}"
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        assert error_of(response)["message"]
