"""After an upload the list follows the analysis to its end: no "under way" forever."""

from __future__ import annotations

import pytest
import trimesh
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.designs.models import DesignRevision
from tests.marketplace.designs.geometry.builders import stl_of

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, *names: str):
    files = [
        SimpleUploadedFile(name, stl_of(trimesh.creation.box(extents=[20, 20, 20])))
        for name in names
    ]
    return client.post(
        reverse("design_upload"),
        {"files": files, "unit": "mm"},
        HTTP_ACCEPT="application/json",
    )


def test_the_list_shows_the_finished_analysis_of_files_uploaded_together(client, customer_alice):
    client.force_login(customer_alice)
    response = upload(client, "cube-a.stl", "cube-b.stl")
    assert response.status_code == 200, response.json()
    uploaded = response.json()["uploaded"]
    assert len(uploaded) == 2
    for item in uploaded:
        status = client.get(item["status_url"]).json()
        assert status["status"] == "analysed"
        assert status["status_text"] == "Analysed"
    page = client.get(reverse("design_list")).content.decode()
    assert page.count(">Analysed</span>") == 2
    assert "Waiting for analysis" not in page
    assert "data-waiting-status-url" not in page


def test_a_card_still_waiting_follows_its_analysis(client, customer_alice):
    """A revision whose analysis has not run yet (a worker elsewhere) carries the URL the page
    polls, and the page loads the script that follows it."""
    client.force_login(customer_alice)
    upload(client, "cube.stl")
    revision = DesignRevision.objects.get()
    DesignRevision.objects.filter(pk=revision.pk).update(status=DesignRevision.Status.QUEUED)
    page = client.get(reverse("design_list")).content.decode()
    assert f'data-waiting-status-url="{reverse("design_status", args=[revision.pk])}"' in page
    assert "js/design-status.js" in page
