"""Who may see and download a design: its organization, the workshops working on it, operators."""

import pytest

from marketplace.designs.geometry import samples
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import api_client_for, organization_of, workshop_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bracket(customer_alice):
    return DesignRevisionFactory(
        design__organization=organization_of(customer_alice),
        design__name="Bracket",
        original_name="bracket.stl",
        file__data=samples.bracket(),
    )


def _assign(revision, workshop, status="offered"):
    """A step of an order for `revision`, given to `workshop`."""
    line = QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return JobFactory(
        order__option__request=line.request, line=line, workshop=workshop, status=status
    )


def _download(client, user, revision):
    client.force_login(user)
    return client.get(f"/designs/files/{revision.pk}/")


def test_the_owner_downloads_the_original_file(client, customer_alice, bracket):
    response = _download(client, customer_alice, bracket)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.bracket()
    assert 'filename="bracket.stl"' in response["Content-Disposition"]


def test_an_unrelated_workshop_gets_404(client, workshop_bob, bracket):
    assert _download(client, workshop_bob, bracket).status_code == 404
    client.force_login(workshop_bob)
    assert client.get(f"/designs/{bracket.design_id}/").status_code == 404


def test_a_workshop_with_a_step_of_it_may_download(client, workshop_bob, bracket):
    _assign(bracket, workshop_of(workshop_bob))
    assert _download(client, workshop_bob, bracket).status_code == 200


def test_a_workshop_that_declined_loses_access(client, workshop_bob, bracket):
    _assign(bracket, workshop_of(workshop_bob), status="declined")
    assert _download(client, workshop_bob, bracket).status_code == 404


def test_operators_may_download(client, operator_olga, bracket):
    assert _download(client, operator_olga, bracket).status_code == 200


def test_files_are_stored_under_generated_names(bracket):
    assert "bracket" not in bracket.file.name
    assert bracket.file.name.endswith(".stl")


def test_the_api_hides_other_organizations_designs(workshop_bob, bracket):
    response = api_client_for(workshop_bob).get(f"/api/v1/designs/{bracket.design_id}/")
    assert response.status_code == 404
