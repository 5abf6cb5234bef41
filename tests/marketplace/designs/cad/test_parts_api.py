"""The part templates API: schemas, previews, prices and saving, for every role."""

from __future__ import annotations

import base64
import math

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Organization
from marketplace.designs.cad.templates import TEMPLATES
from marketplace.designs.models import Design, DesignRevision
from tests.factories import OrganizationFactory
from tests.helpers import api_client_for, organization_of
from tests.marketplace.designs.cad.part_network import add_printer

pytestmark = pytest.mark.django_db

PLATE = {"length": 100, "width": 50, "thickness": 5, "hole_diameter": 6, "holes_x": 2, "holes_y": 2}
PLATE_VOLUME = 25_000 - 4 * math.pi * 3**2 * 5


def test_templates_are_listed_with_their_parameter_schema(customer_alice):
    response = api_client_for(customer_alice).get("/api/v1/part-templates/")
    assert response.status_code == 200
    listed = {t["key"]: t for t in response.json()}
    assert set(listed) == set(TEMPLATES)
    hole = next(p for p in listed["plate"]["parameters"] if p["name"] == "hole_diameter")
    assert (hole["unit"], hole["minimum"], hole["default"]) == ("mm", 0.5, 6)
    assert hole["help"]


def test_the_schema_documents_the_template_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if "part-templates" in p]
    assert "/api/v1/part-templates/" in paths
    assert "/api/v1/part-templates/{key}/preview/" in paths
    assert "/api/v1/part-templates/{key}/designs/" in paths


def test_anonymous_callers_get_nothing(api_client):
    assert api_client.get("/api/v1/part-templates/").status_code in (401, 403)
    assert api_client.post("/api/v1/part-templates/plate/preview/", {}).status_code in (401, 403)


def test_a_preview_returns_the_mesh_the_volume_and_the_findings(customer_alice):
    response = api_client_for(customer_alice).post(
        "/api/v1/part-templates/plate/preview/", {"parameters": PLATE}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["volume_mm3"] == pytest.approx(PLATE_VOLUME, rel=1e-5)
    stl = base64.b64decode(body["stl_base64"])
    triangles = int.from_bytes(stl[80:84], "little")
    assert len(stl) == 84 + 50 * triangles
    assert body["analysis"]["watertight"] is True
    assert body["analysis"]["cad"]["holes"] == [{"diameter_mm": 6.0, "count": 4}]
    assert body["findings"] == []


def test_a_bad_parameter_is_a_400_naming_it_and_stores_nothing(customer_alice):
    client = api_client_for(customer_alice)
    for path in ("preview", "designs"):
        response = client.post(
            f"/api/v1/part-templates/plate/{path}/",
            {"parameters": {"hole_diameter": 60}},
            format="json",
        )
        assert response.status_code == 400
        fields = response.json()["error"]["fields"]["parameters"]
        assert "hole_diameter" in fields
        response = client.post(
            f"/api/v1/part-templates/plate/{path}/",
            {"parameters": {"thickness": "thick"}},
            format="json",
        )
        assert response.status_code == 400
        assert "Thickness must be a number" in str(response.json()["error"]["fields"])
    assert not Design.objects.exists()


def test_an_unknown_template_is_a_404(customer_alice):
    response = api_client_for(customer_alice).post(
        "/api/v1/part-templates/gearbox/preview/", {}, format="json"
    )
    assert response.status_code == 404


def test_prices_come_per_process_and_follow_the_parameters(customer_alice, small_network):
    add_printer(small_network["stuttgart"])
    client = api_client_for(customer_alice)

    def prices(hole: float) -> dict[str, int]:
        response = client.post(
            "/api/v1/part-templates/bracket/prices/",
            {"parameters": {"hole_diameter": hole, "holes_per_leg": 2}},
            format="json",
        )
        assert response.status_code == 200, response.content
        return {p["process"]: p["price_minor"] for p in response.json()["prices"]}

    small, large = prices(4), prices(12)
    assert set(small) == {"cnc-3axis", "fdm"}
    assert all(price > 0 for price in small.values())
    assert large["fdm"] < small["fdm"]  # less plastic to print


def test_saving_a_part_stores_its_step_stl_template_and_analysis(customer_alice):
    client = api_client_for(customer_alice)
    response = client.post(
        "/api/v1/part-templates/plate/designs/",
        {"parameters": PLATE, "name": "Base plate"},
        format="json",
    )
    assert response.status_code == 201, response.content
    design = Design.objects.get(pk=response.json()["id"])
    assert design.name == "Base plate"
    assert design.organization == organization_of(customer_alice)
    revision = design.revisions.get()
    assert revision.status == DesignRevision.Status.ANALYSED
    assert (revision.template, revision.format) == ("plate", "step")
    assert revision.parameters["hole_diameter"] == 6
    assert revision.file.read().startswith(b"ISO-10303-21")
    assert revision.preview.size > 84
    assert revision.analysis["volume_mm3"] == pytest.approx(PLATE_VOLUME, rel=1e-5)
    again = client.post(
        "/api/v1/part-templates/plate/designs/",
        {"parameters": {**PLATE, "hole_diameter": 8}, "design": design.pk},
        format="json",
    )
    assert again.status_code == 201
    assert design.revisions.count() == 2


def test_workshops_and_operators_do_not_save_parts(workshop_bob, operator_olga):
    for user in (workshop_bob, operator_olga):
        response = api_client_for(user).post(
            "/api/v1/part-templates/plate/designs/", {"parameters": {}}, format="json"
        )
        assert response.status_code == 403
    assert not Design.objects.exists()


def test_a_part_is_not_added_to_another_organizations_design(customer_alice):
    other = OrganizationFactory(name="Other Robotics", kind=Organization.Kind.CUSTOMER)
    theirs = Design.objects.create(organization=other, name="Theirs")
    response = api_client_for(customer_alice).post(
        "/api/v1/part-templates/plate/designs/",
        {"parameters": {}, "design": theirs.pk},
        format="json",
    )
    assert response.status_code == 404
    assert not theirs.revisions.exists()
