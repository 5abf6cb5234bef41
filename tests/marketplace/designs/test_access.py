"""Who may see and download a design: its organization, the workshops working on it, operators."""

import pytest
from django.core.files.base import ContentFile

from marketplace.designs.geometry import samples
from marketplace.designs.models import Design, DesignRevision
from marketplace.orders.models import Job
from tests.factories import MachineFactory, ProcessFactory
from tests.factories.orders import OrderFactory, QuoteOptionFactory, QuoteRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bracket(customer_alice):
    organization = customer_alice.memberships.get().organization
    design = Design.objects.create(organization=organization, name="Bracket")
    revision = DesignRevision(
        design=design, number=1, original_name="bracket.stl", format="stl_binary",
        size_bytes=100, sha256="0" * 64, status="analysed",
    )  # fmt: skip
    revision.file.save("upload", ContentFile(samples.bracket()), save=False)
    revision.save()
    return revision


def _assign(revision, workshop, status="offered"):
    from marketplace.orders.models import QuoteLine

    request = QuoteRequestFactory(organization=revision.design.organization)
    line = QuoteLine.objects.create(
        request=request, revision=revision, material_id=_material().pk, quantity=1
    )
    order = OrderFactory(option=QuoteOptionFactory(request=request))
    machine = MachineFactory(workshop=workshop)
    return Job.objects.create(
        order=order, job_key="l", step_key="s", name="Milling", process=ProcessFactory(),
        line=line, workshop=workshop, machine=machine, sequence=0,
        planned_start=order.promised_delivery_at, planned_end=order.promised_delivery_at,
        accept_by=order.promised_delivery_at, status=status, cost_minor=100,
    )  # fmt: skip


def _material():
    from tests.factories import MaterialFactory

    return MaterialFactory(code="al-6061")


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
    _assign(bracket, workshop_bob.memberships.get().organization.workshop)
    assert _download(client, workshop_bob, bracket).status_code == 200


def test_a_workshop_that_declined_loses_access(client, workshop_bob, bracket):
    _assign(bracket, workshop_bob.memberships.get().organization.workshop, status="declined")
    assert _download(client, workshop_bob, bracket).status_code == 404


def test_operators_may_download(client, operator_olga, bracket):
    assert _download(client, operator_olga, bracket).status_code == 200


def test_files_are_stored_under_generated_names(bracket):
    assert "bracket" not in bracket.file.name
    assert bracket.file.name.endswith(".stl")


def test_the_api_hides_other_organizations_designs(workshop_bob, bracket):
    from tests.conftest import api_client_for

    response = api_client_for(workshop_bob).get(f"/api/v1/designs/{bracket.design_id}/")
    assert response.status_code == 404
