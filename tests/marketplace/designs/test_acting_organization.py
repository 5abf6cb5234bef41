"""A member of two workshops who acts as one of them (the X-Organization header or the site's
switch) accepts NDAs and reads confidential parts as that one only; and an accepted NDA
still checks the hash it is sent."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.selectors import ACTIVE_ORGANIZATION_SESSION_KEY
from marketplace.designs.confidential import design_confidentiality_set
from marketplace.designs.models import DesignDownload, NdaAcceptance
from tests.factories import MembershipFactory, UserFactory
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import api_client_for, error_of, organization_of, workshop_of

pytestmark = pytest.mark.django_db
NDA = "The recipient keeps the drawings secret."


@pytest.fixture
def secret(customer_alice):
    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    revision.file.save("part.stl", ContentFile(b"solid part\nendsolid part\n"))
    design_confidentiality_set(
        user=customer_alice, design=revision.design, confidential=True, nda_text=NDA
    )
    revision.design.refresh_from_db()
    QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return revision


@pytest.fixture
def dana(workshop_bob, workshop_charlie, secret):
    """A member of Bob's workshop (which holds the step) and Charlie's (which holds none)."""
    user = UserFactory()
    for colleague in (workshop_bob, workshop_charlie):
        MembershipFactory(user=user, organization=organization_of(colleague))
    line = secret.quote_lines.get()
    JobFactory(
        order__option__request=line.request,
        line=line,
        workshop=workshop_of(workshop_bob),
        status="offered",
    )
    return user


def _accept(client, secret, nda_hash=None, **headers):
    return client.post(
        f"/api/v1/designs/{secret.design_id}/nda-acceptance/",
        {"nda_hash": nda_hash or secret.design.nda_hash},
        format="json",
        **headers,
    )


def test_acting_as_a_workshop_without_a_step_accepts_nothing(dana, secret, workshop_charlie):
    charlie = organization_of(workshop_charlie)
    response = _accept(api_client_for(dana), secret, HTTP_X_ORGANIZATION=str(charlie.pk))
    assert response.status_code == 403, response.content
    assert charlie.name in error_of(response)["message"]
    assert not NdaAcceptance.objects.exists()


def test_acting_as_the_workshop_holding_the_step_accepts_for_it(dana, secret, workshop_bob):
    bob = organization_of(workshop_bob)
    response = _accept(api_client_for(dana), secret, HTTP_X_ORGANIZATION=str(bob.pk))
    assert response.status_code == 201, response.content
    assert NdaAcceptance.objects.get().organization == bob


def test_without_a_choice_the_holding_workshop_accepts_as_before(dana, secret, workshop_bob):
    assert _accept(api_client_for(dana), secret).status_code == 201
    assert NdaAcceptance.objects.get().organization == organization_of(workshop_bob)


def test_acting_as_the_other_workshop_reads_no_part(
    client, dana, secret, workshop_bob, workshop_charlie
):
    assert _accept(api_client_for(dana), secret).status_code == 201
    charlie = str(organization_of(workshop_charlie).pk)
    bob = str(organization_of(workshop_bob).pk)
    client.force_login(dana)
    download = reverse("design_download", args=[secret.pk])
    assert client.get(download, HTTP_X_ORGANIZATION=charlie).status_code == 404
    assert (
        client.get(f"/designs/{secret.design_id}/", HTTP_X_ORGANIZATION=charlie).status_code == 404
    )
    api = api_client_for(dana)
    response = api.get(f"/api/v1/designs/{secret.design_id}/", HTTP_X_ORGANIZATION=charlie)
    assert response.status_code == 404, response.content  # before: the design, no revision
    assert error_of(response)["code"] == "not_found"
    assert client.get(download, HTTP_X_ORGANIZATION=bob).status_code == 200
    assert client.get(download).status_code == 200
    logged = DesignDownload.objects.filter(kind=DesignDownload.Kind.DOWNLOAD)
    assert [d.organization_id for d in logged] == [int(bob), int(bob)]


def test_the_sites_switch_counts_as_a_choice(client, dana, secret, workshop_charlie):
    client.force_login(dana)
    session = client.session
    session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization_of(workshop_charlie).pk
    session.save()
    client.post(
        f"/designs/{secret.design_id}/nda/accept/",
        {"agree": "yes", "nda_hash": secret.design.nda_hash},
    )
    assert not NdaAcceptance.objects.exists()
    assert client.get(f"/designs/{secret.design_id}/").status_code == 404


@pytest.mark.parametrize("sent", ["0" * 64, "zz", "superseded"])
def test_an_accepted_nda_still_checks_the_hash_it_is_sent(dana, secret, customer_alice, sent):
    client = api_client_for(dana)
    if sent == "superseded":
        sent = secret.design.nda_hash
        design_confidentiality_set(
            user=customer_alice, design=secret.design, confidential=True, nda_text="New words."
        )
        secret.design.refresh_from_db()
        assert _accept(client, secret).status_code == 201
    else:
        assert _accept(client, secret).status_code == 201
    response = _accept(client, secret, nda_hash=sent)
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "confidentiality_invalid"
    assert _accept(client, secret).status_code == 201
    assert NdaAcceptance.objects.filter(nda_hash=secret.design.nda_hash).count() == 1


def test_acting_as_an_organization_one_is_not_in_is_refused(dana, secret, customer_alice):
    alice = str(organization_of(customer_alice).pk)
    response = _accept(api_client_for(dana), secret, HTTP_X_ORGANIZATION=alice)
    assert response.status_code == 403, response.content
    assert not NdaAcceptance.objects.exists()


def test_the_api_shows_a_holding_workshop_the_design_to_accept_before_its_part(
    dana, secret, workshop_bob, workshop_charlie, customer_alice
):
    """Only a chosen organization that holds no step is answered 404: the one that holds a
    step still gets the design (no revision until it accepts), and the owner reads it all."""
    api = api_client_for(dana)
    url = f"/api/v1/designs/{secret.design_id}/"
    bob = str(organization_of(workshop_bob).pk)
    response = api.get(url, HTTP_X_ORGANIZATION=bob)
    assert response.status_code == 200, response.content
    assert response.json()["revisions"] == []
    assert _accept(api, secret, HTTP_X_ORGANIZATION=bob).status_code == 201
    assert api.get(url, HTTP_X_ORGANIZATION=bob).json()["revisions"] == [secret.pk]
    charlie = str(organization_of(workshop_charlie).pk)
    assert api.get(url, HTTP_X_ORGANIZATION=charlie).status_code == 404
    assert api.get(url).json()["revisions"] == [secret.pk]
    owner = str(secret.design.organization_id)
    response = api_client_for(customer_alice).get(url, HTTP_X_ORGANIZATION=owner)
    assert response.json()["revisions"] == [secret.pk]
