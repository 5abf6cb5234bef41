"""Workshops take the STEP of a design they hold a job for, under the usual access rules."""

import pytest

from marketplace.designs.geometry import samples
from marketplace.designs.models import DesignDownload
from tests.data import MESHES
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of, workshop_of

pytestmark = pytest.mark.django_db

STEP = (MESHES / "featuretype.STEP").read_bytes()


@pytest.fixture
def housing(customer_alice):
    return DesignRevisionFactory(
        design__organization=organization_of(customer_alice),
        design__name="Housing",
        original_name="housing.step",
        format="step",
        file__data=STEP,
    )


def _hold(revision, workshop, status="accepted"):
    line = QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return JobFactory(
        order__option__request=line.request, line=line, workshop=workshop, status=status
    )


def _step(client, user, revision):
    client.force_login(user)
    return client.get(f"/designs/files/{revision.pk}/part.step")


def test_a_workshop_holding_a_job_downloads_the_step_and_the_owner_sees_it(
    client, workshop_bob, housing
):
    job = _hold(housing, workshop_of(workshop_bob))
    response = _step(client, workshop_bob, housing)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == STEP
    assert response["Content-Type"] == "application/step"
    assert 'filename="Housing-v1.step"' in response["Content-Disposition"]
    logged = DesignDownload.objects.get()
    assert logged.organization == organization_of(workshop_bob)
    board = client.get("/jobs/").content.decode()
    assert f'data-testid="step-{job.pk}"' in board


def test_a_workshop_without_a_job_or_after_declining_gets_404(client, workshop_bob, housing):
    assert _step(client, workshop_bob, housing).status_code == 404
    _hold(housing, workshop_of(workshop_bob), status="declined")
    assert _step(client, workshop_bob, housing).status_code == 404
    assert not DesignDownload.objects.exists()


def test_a_mesh_upload_has_no_step_and_no_link(client, customer_alice, workshop_bob):
    mesh = DesignRevisionFactory(
        design__organization=organization_of(customer_alice), file__data=samples.bracket()
    )
    job = _hold(mesh, workshop_of(workshop_bob))
    response = _step(client, workshop_bob, mesh)
    assert response.status_code == 404
    assert f'data-testid="step-{job.pk}"' not in client.get("/jobs/").content.decode()
    assert not DesignDownload.objects.exists()


def test_the_owner_and_operators_download_the_step(client, customer_alice, operator_olga, housing):
    assert _step(client, customer_alice, housing).status_code == 200
    assert _step(client, operator_olga, housing).status_code == 200
