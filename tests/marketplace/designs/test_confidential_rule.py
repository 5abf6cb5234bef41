"""The owner sets who may make a confidential design, on the page and through the API, and
gets a clear error for anything wrong; workshops accept the NDA and the owner reads the log."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.designs.models import DesignDownload, NdaAcceptance, nda_hash_of
from marketplace.network.models import Certification
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import api_client_for, error_of, organization_of, workshop_of

pytestmark = pytest.mark.django_db
NDA = "Keep the drawings secret."


@pytest.fixture
def bracket(customer_alice):
    Certification.objects.create(code="iso-9001", name="ISO 9001")
    return DesignRevisionFactory(
        design__organization=organization_of(customer_alice), design__name="Bracket"
    )


def _url(revision, tail="confidentiality"):
    return f"/api/v1/designs/{revision.design_id}/{tail}/"


def _put(user, revision, **body):
    return api_client_for(user).put(_url(revision), body, format="json")


def test_the_owner_sets_the_rule_through_the_api(customer_alice, workshop_bob, bracket):
    workshop = workshop_of(workshop_bob)
    response = _put(
        customer_alice,
        bracket,
        confidential=True,
        countries=["nl", "DE", "de"],
        certifications=["iso-9001"],
        workshops=[workshop.pk],
        nda_text=f"  {NDA}\n",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "confidential": True,
        "certifications": ["iso-9001"],
        "countries": ["DE", "NL"],
        "workshops": [workshop.pk],
        "nda_text": NDA,
        "nda_hash": nda_hash_of(NDA),
    }
    again = api_client_for(customer_alice).get(_url(bracket))
    assert again.json() == response.json()
    design = api_client_for(customer_alice).get(f"/api/v1/designs/{bracket.design_id}/").json()
    assert design["confidential"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"countries": ["XX"]}, "“XX” is not an ISO 3166-1 country code"),
        ({"nda_text": ""}, "Write the NDA text"),
        ({"certifications": ["itar"]}, "No such certification: itar."),
        ({"workshops": [999999]}, "No verified workshop has the id 999999."),
    ],
)
def test_a_wrong_rule_gets_a_clear_error(customer_alice, bracket, body, message):
    response = _put(customer_alice, bracket, **{"confidential": True, "nda_text": NDA, **body})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "confidentiality_invalid"
    assert message in error["message"]


def test_a_rule_of_the_wrong_shape_is_a_validation_error(customer_alice, bracket):
    response = _put(customer_alice, bracket, confidential="maybe", countries="DE")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"confidential", "countries"}


def test_an_id_beyond_the_database_integer_is_a_validation_error(customer_alice, bracket):
    response = _put(customer_alice, bracket, confidential=False, workshops=[10**20])
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"workshops"}


def test_only_the_owner_sets_the_rule(customer_alice, workshop_bob, workshop_charlie, bracket):
    line = QuoteLineFactory(request__organization=organization_of(customer_alice), revision=bracket)
    JobFactory(order__option__request=line.request, line=line, workshop=workshop_of(workshop_bob))
    assert _put(workshop_bob, bracket, confidential=False).status_code == 403
    assert api_client_for(workshop_bob).get(_url(bracket, "access-log")).status_code == 403
    assert _put(workshop_charlie, bracket, confidential=False).status_code == 404


def test_a_workshop_accepts_through_the_api_and_the_owner_reads_the_log(
    customer_alice, workshop_bob, bracket
):
    _put(customer_alice, bracket, confidential=True, nda_text=NDA)
    line = QuoteLineFactory(request__organization=organization_of(customer_alice), revision=bracket)
    JobFactory(order__option__request=line.request, line=line, workshop=workshop_of(workshop_bob))
    bob = api_client_for(workshop_bob)
    stale = bob.post(_url(bracket, "nda-acceptance"), {"nda_hash": "0" * 64}, format="json")
    assert stale.status_code == 400
    assert error_of(stale)["code"] == "confidentiality_invalid"
    accepted = bob.post(_url(bracket, "nda-acceptance"), {"nda_hash": nda_hash_of(NDA)})
    assert accepted.status_code == 201
    assert accepted.json()["user"] == workshop_bob.pk
    assert NdaAcceptance.objects.filter(user=workshop_bob).count() == 1
    assert bob.get(f"/api/v1/designs/{bracket.design_id}/").status_code == 200
    log = api_client_for(customer_alice).get(_url(bracket, "access-log")).json()
    assert log["count"] == 1
    (entry,) = log["results"]
    assert (entry["kind"], entry["user"], entry["revision"]) == ("view", "bob@example.com", 1)
    assert DesignDownload.objects.get().organization == organization_of(workshop_bob)


def test_the_page_saves_the_rule_and_shows_errors(client, customer_alice, bracket):
    client.force_login(customer_alice)
    url = f"/designs/{bracket.design_id}/confidentiality/"
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"confidential": "on", "countries": "Germany", "nda_text": NDA})
    assert wrong.status_code == 200
    assert "is not an ISO 3166-1 country code" in wrong.content.decode()
    saved = client.post(url, {"confidential": "on", "countries": "de, fr", "nda_text": NDA})
    assert saved.status_code == 302
    bracket.design.refresh_from_db()
    assert bracket.design.confidential
    assert bracket.design.allowed_countries == ["DE", "FR"]
    page = client.get(f"/designs/{bracket.design_id}/").content.decode()
    assert 'data-testid="confidential-badge"' in page


words = st.lists(st.text(alphabet="abcdefgh ", min_size=1, max_size=12), min_size=1, max_size=6)


@given(lines=words, pad=st.sampled_from(["", " ", "  \t"]), newline=st.sampled_from(["\n", "\r\n"]))
def test_the_nda_version_ignores_line_ends_and_trailing_blanks(lines, pad, newline):
    text = "\n".join(lines)
    padded = newline.join(line + pad for line in lines) + newline
    assert nda_hash_of(padded) == nda_hash_of(text)


@given(a=words, b=words)
def test_different_words_make_a_different_version(a, b):
    def normal(lines):
        return "\n".join(line.rstrip() for line in "\n".join(lines).strip().splitlines())

    assert (nda_hash_of("\n".join(a)) == nda_hash_of("\n".join(b))) == (normal(a) == normal(b))
