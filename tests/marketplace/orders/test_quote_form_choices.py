"""The quote form offers only the materials and finishes a design's analysis leaves open, says
what it left out, and starts from the material and quantity chosen on the design page."""

import re

import pytest

from marketplace.orders.models import QuoteRequest
from tests.data.analyses import BRACKET
from tests.factories import FinishFactory, MaterialFactory, ProcessFactory
from tests.factories.designs import DesignRevisionFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db

NOT_PRINTABLE = {
    **BRACKET,
    "manufacturability": {
        "makeable_by": ["cnc-3axis"],
        "processes": [
            {"code": "cnc-3axis", "name": "Milling", "can_make": True, "findings": []},
            {"code": "fdm", "name": "FDM printing", "can_make": False, "findings": []},
        ],
    },
}


@pytest.fixture
def catalog(small_network):
    """Aluminium for the mills (anodized as a finish), PLA for a printer (vapour smoothed)."""
    fdm = ProcessFactory(code="fdm", name="FDM printing", additive=True)
    pla = MaterialFactory(code="pla", name="PLA", family="thermoplastic", processes=[fdm])
    smoothing = ProcessFactory(code="smoothing", name="Smoothing", family="finishing")
    FinishFactory(
        code="vapour-smoothed", name="Vapour smoothed", process=smoothing, materials=[pla]
    )
    return small_network


def _revision(customer, analysis):
    return DesignRevisionFactory(
        design__organization=organization_of(customer), design__name="Bracket", analysis=analysis
    )


def _options(html: str, field: str) -> list[str]:
    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def _form(client, customer, revision, query: str = "") -> str:
    client.force_login(customer)
    response = client.get(f"/quotes/new/?design={revision.design_id}{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_materials_no_able_process_works_are_left_out_with_a_note(client, customer_alice, catalog):
    revision = _revision(customer_alice, NOT_PRINTABLE)
    html = _form(client, customer_alice, revision)
    assert _options(html, f"line_{revision.pk}_material") == ["", "al-6061"]
    assert _options(html, f"line_{revision.pk}_finish") == ["", "anodized"]
    note = re.search(r'data-testid="left-out">([^<]*)<', html).group(1)
    assert "PLA" in note
    assert "Vapour smoothed" in note


def test_an_analysis_that_rules_nothing_out_offers_the_whole_catalog(
    client, customer_alice, catalog
):
    revision = _revision(customer_alice, dict(BRACKET))
    html = _form(client, customer_alice, revision)
    assert _options(html, f"line_{revision.pk}_material") == ["", "al-6061", "pla"]
    assert 'data-testid="left-out"' not in html


def test_a_left_out_material_posted_anyway_is_refused_and_nothing_is_stored(
    client, customer_alice, catalog
):
    revision = _revision(customer_alice, NOT_PRINTABLE)
    client.force_login(customer_alice)
    response = client.post(
        f"/quotes/new/?design={revision.design_id}",
        {
            f"line_{revision.pk}_material": "pla",
            f"line_{revision.pk}_quantity": "1",
            f"line_{revision.pk}_tolerance": "standard",
            "ship_to_name": "Acme",
            "ship_to_address": "Hauptstrasse 1",
            "ship_to_city": "Munich",
            "ship_to_country": "DE",
            "ship_to_latitude": "48.13743",
            "ship_to_longitude": "11.57549",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not QuoteRequest.objects.exists()


def test_quote_this_starts_the_form_with_the_material_and_quantity(client, customer_alice, catalog):
    revision = _revision(customer_alice, dict(BRACKET))
    html = _form(client, customer_alice, revision, "&material=pla&quantity=100")
    assert re.search(r'<option value="pla" selected>', html)
    assert re.search(rf'name="line_{revision.pk}_quantity" value="100"', html)


@pytest.mark.parametrize("quantity", ["0", "abc", "-3", "100001", ""])
def test_a_quantity_that_is_not_one_the_form_takes_starts_from_one(
    client, customer_alice, catalog, quantity
):
    revision = _revision(customer_alice, dict(BRACKET))
    html = _form(client, customer_alice, revision, f"&material=unknown&quantity={quantity}")
    assert re.search(rf'name="line_{revision.pk}_quantity" value="1"', html)
    assert " selected>" not in html.split(f'name="line_{revision.pk}_material"')[1].split(
        "</select>"
    )[0].replace('value="" selected>', "")
