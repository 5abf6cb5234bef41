"""A NUL character (0x00) in a path, a filter, a header or a cookie is refused with 400 before
any lookup: PostgreSQL raises on a text holding one, so each of these answered 500 there."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.nul_bytes import nul_location
from tests.helpers import api_client_for, error_of

pytestmark = pytest.mark.django_db


def _refused_in_json(response, where: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "nul_character"
    assert where in error["message"]


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/processes/mill%00ing/", "path"),
        ("/api/v1/orders/?status=paid%00", "query string"),
        ("/api/v1/materials/?processes__code=%00", "query string"),
        ("/api/v1/orders/?%00=1", "query string"),
    ],
)
def test_a_nul_in_the_path_or_a_filter_is_refused(customer_alice, url, where):
    _refused_in_json(api_client_for(customer_alice).get(url), where)


def test_a_nul_in_the_organization_header_is_refused(customer_alice):
    response = api_client_for(customer_alice).get("/api/v1/me/", HTTP_X_ORGANIZATION="1\x00")
    _refused_in_json(response, "X-Organization header")


def test_a_nul_in_an_api_token_is_refused_before_the_token_is_looked_up(
    django_assert_num_queries,
):
    client = Client(HTTP_AUTHORIZATION="Token abc\x00def")
    with django_assert_num_queries(0):
        response = client.get("/api/v1/me/")
    _refused_in_json(response, "Authorization header")


def test_a_nul_in_the_session_cookie_is_refused_before_the_session_is_read(
    django_assert_num_queries,
):
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    with django_assert_num_queries(0):
        response = client.get("/api/v1/me/")
    _refused_in_json(response, "cookie")


def test_a_site_page_with_a_nul_gets_the_html_400_page(client, customer_alice):
    client.force_login(customer_alice)
    response = client.get("/orders/?status=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "query string contains a NUL character" in response.content.decode()


def test_a_web_form_with_a_nul_says_so_on_the_page(client, customer_alice):
    """The test client posts forms as multipart: before, a NUL in a checkout field got the bare
    "Bad Request (400)" page, which said nothing of what to correct."""
    client.force_login(customer_alice)
    response = client.post("/account/addresses/new/", {"street": "Ring\x00 1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "form body contains a NUL character" in page


def test_an_encoded_percent_sign_is_not_a_nul(customer_alice):
    response = api_client_for(customer_alice).get("/api/v1/orders/?status=%2500")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert error_of(response)["code"] != "nul_character"


def test_a_probe_with_many_fields_is_still_answered(client):
    """Parsing the query string (request.GET) refuses over 1,000 fields: the check must not."""
    query = "&".join(f"f{n}=1" for n in range(1_100))
    assert client.get(f"/healthz?{query}").status_code == 200


class _Request:
    def __init__(self, path: str, query: str, headers: dict[str, str]) -> None:
        self.path = path
        self.META = {"QUERY_STRING": query, **headers}
        self.COOKIES: dict[str, str] = {}


text = st.text(st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=text, query=text, organization=text, token=text)
def test_a_request_is_refused_exactly_when_a_nul_reaches_a_lookup(path, query, organization, token):
    """Whatever the characters, percent-encoded in the query: refused iff one is a NUL."""
    request = _Request(
        "/" + path,
        quote(query, safe="=&"),
        {"HTTP_X_ORGANIZATION": organization, "HTTP_AUTHORIZATION": token},
    )
    carries_nul = "\x00" in path + query + organization + token
    assert (nul_location(request) is not None) == carries_nul


@pytest.mark.parametrize("body", ["name=a%00b&process=cnc-3axis", "name=a\x00b"])
def test_a_nul_in_a_form_body_is_refused_before_it_reaches_a_text_column(workshop_bob, body):
    """Schemathesis on PostgreSQL: a form-encoded POST /machines/ with a NUL answered 500
    (PostgreSQL text fields cannot contain NUL)."""
    response = api_client_for(workshop_bob).post(
        "/api/v1/machines/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "nul_character"
    assert "form body" in error_of(response)["message"]


def test_a_nul_in_a_multipart_field_is_refused_before_it_reaches_a_lookup(operator_olga):
    """Schemathesis on PostgreSQL: a multipart POST /materials/ with a NUL in a `processes`
    slug answered 500 (the slug lookup cannot hold NUL)."""
    response = api_client_for(operator_olga).post(
        "/api/v1/materials/",
        data={"code": "pa12x", "name": "PA12", "family": "powder", "processes": ["ab\x00c"]},
        format="multipart",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "nul_character"


def test_a_nul_in_an_uploaded_file_is_not_a_nul_in_a_field(customer_alice):
    """Files may hold any byte: a multipart upload whose file has NUL bytes goes to the view."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("part.stl", b"solid x\x00\x00 endsolid x\n")
    response = api_client_for(customer_alice).post(
        "/api/v1/designs/", data={"name": "bracket", "file": upload}, format="multipart"
    )
    assert response.status_code != 400 or error_of(response)["code"] != "nul_character"


def test_a_malformed_multipart_body_with_a_nul_is_left_to_the_view(operator_olga):
    response = api_client_for(operator_olga).post(
        "/api/v1/materials/",
        data=b"--x\r\nno headers\x00 here",
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] != "nul_character"
