"""The part designer page: customers only; a saved part opens with its template and values."""

import json

import pytest

from marketplace.designs.cad.templates import TEMPLATES
from tests.factories.designs import DesignRevisionFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


def _start(response) -> dict:
    html = response.content.decode()
    marker = '<script id="part-start" type="application/json">'
    return json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])


def test_a_customer_gets_every_template_and_starts_on_the_bracket(client, customer_alice):
    client.force_login(customer_alice)
    response = client.get("/designs/new-part/")
    assert response.status_code == 200
    for template in TEMPLATES.values():
        assert f'data-template="{template.key}"' in response.content.decode()
    assert _start(response) == {"template": "bracket", "parameters": {}, "design": None}


def test_a_saved_part_opens_with_its_template_and_values(client, customer_alice):
    revision = DesignRevisionFactory(
        design__organization=organization_of(customer_alice),
        format="step",
        template="flange",
        parameters={"bolt_count": 6},
    )
    client.force_login(customer_alice)
    response = client.get(f"/designs/new-part/?revision={revision.pk}")
    assert _start(response) == {
        "template": "flange",
        "parameters": {"bolt_count": 6},
        "design": revision.design_id,
    }
    detail = client.get(f"/designs/{revision.design_id}/").content.decode()
    assert 'data-testid="edit-part"' in detail


def test_workshops_and_operators_may_not_design_parts(client, workshop_bob, operator_olga):
    for user in (workshop_bob, operator_olga):
        client.force_login(user)
        assert client.get("/designs/new-part/").status_code == 403


def test_another_customers_revision_is_not_found(client, customer_alice):
    from accounts.models import Organization
    from tests.factories import OrganizationFactory

    other = OrganizationFactory(name="Other Robotics", kind=Organization.Kind.CUSTOMER)
    revision = DesignRevisionFactory(design__organization=other, template="plate", parameters={})
    client.force_login(customer_alice)
    assert client.get(f"/designs/new-part/?revision={revision.pk}").status_code == 404
    assert client.get("/designs/new-part/?revision=nonsense").status_code in (400, 404)
