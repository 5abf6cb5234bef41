"""A member of two workshops who acts as one of them (the X-Organization header or the site's
switch) reads quality records and files as that one only, as they upload: Bob, also a member
of a workshop holding no step of the order, reads nothing of it while acting as that one."""

import pytest
from django.urls import reverse

from accounts.selectors import ACTIVE_ORGANIZATION_SESSION_KEY
from marketplace.quality.models import QualityDownload
from marketplace.quality.services import quality_file_add, quality_record_save
from tests.factories import MembershipFactory, OrganizationFactory, WorkshopFactory
from tests.helpers import api_client_for, organization_of

from .conftest import JPEG, upload

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def elsewhere(world):
    """A workshop on no step of the order, of which Bob is a member too."""
    organization = OrganizationFactory(name="Elsewhere GmbH", kind="workshop")
    WorkshopFactory(organization=organization)
    MembershipFactory(user=world.bob, organization=organization)
    return organization


@pytest.fixture
def kept(world):
    """Bob's inspection of his step and one photo of it."""
    record = quality_record_save(
        user=world.bob,
        job=world.milled,
        outcome="pass",
        measurements=[{"name": "Bore", "nominal_mm": "10", "measured_mm": "10.01"}],
    )
    item = quality_file_add(
        user=world.bob, job=world.milled, kind="photo", upload=upload("p.jpg", JPEG)
    )
    return record, item


def _reads(world, item) -> list[str]:
    return [
        f"{API}/orders/{world.order.pk}/quality/",
        f"{API}/orders/{world.order.pk}/quality/archive/",
        f"{API}/quality-files/{item.pk}/download/",
    ]


def _switch(client, organization) -> None:
    session = client.session
    session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization.pk
    session.save()


def test_acting_as_a_workshop_without_a_step_reads_no_quality_through_the_api(
    world, elsewhere, kept
):
    record, item = kept
    client = api_client_for(world.bob)
    other = str(elsewhere.pk)
    for url in _reads(world, item):
        assert client.get(url, HTTP_X_ORGANIZATION=other).status_code == 404, url
    review = client.post(
        f"{API}/quality-records/{record.pk}/review/",
        {"accepted": True},
        format="json",
        HTTP_X_ORGANIZATION=other,
    )
    assert review.status_code == 404, review.content
    assert not QualityDownload.objects.exists()

    own = str(world.milled.workshop.organization_id)
    for url in _reads(world, item):
        assert client.get(url, HTTP_X_ORGANIZATION=own).status_code == 200, url
        assert client.get(url).status_code == 200, url  # no choice: as before
    assert QualityDownload.objects.count() == 4


def test_acting_as_a_workshop_without_a_step_shows_no_quality_on_the_pages(
    world, elsewhere, kept, client
):
    _, item = kept
    client.force_login(world.bob)
    order_page = f"/orders/{world.order.pk}/"
    job_page = reverse("job_detail", args=[world.milled.pk])
    for page, panel in ((order_page, "order-quality"), (job_page, "job-quality")):
        assert f'data-testid="{panel}"' in client.get(page).content.decode(), page
    download = reverse("quality_file_download", args=[item.pk])
    archive = reverse("quality_archive", args=[world.order.pk])
    assert client.get(download).status_code == 200

    _switch(client, elsewhere)
    for page, panel in ((order_page, "order-quality"), (job_page, "job-quality")):
        response = client.get(page)
        assert response.status_code == 200, page
        assert f'data-testid="{panel}"' not in response.content.decode(), page
    assert client.get(download).status_code == 404
    assert client.get(archive).status_code == 404
    assert QualityDownload.objects.count() == 1

    _switch(client, world.milled.workshop.organization)
    assert 'data-testid="order-quality"' in client.get(order_page).content.decode()
    assert client.get(download).status_code == 200


def test_operators_and_members_of_the_customer_are_not_narrowed(world, elsewhere, kept):
    """The customer's members read their order's quality whatever organization they act as:
    the order page shows them the order, so its quality panel follows it."""
    _, item = kept
    MembershipFactory(user=world.alice, organization=elsewhere)
    customer = str(world.order.organization_id)
    platform = str(organization_of(world.olga).pk)
    for user, acting in (
        (world.alice, customer),
        (world.alice, str(elsewhere.pk)),
        (world.olga, platform),
    ):
        client = api_client_for(user)
        for url in _reads(world, item):
            assert client.get(url, HTTP_X_ORGANIZATION=acting).status_code == 200, (user, url)
