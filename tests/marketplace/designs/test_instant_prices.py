"""Instant prices on the design page: who may read them, the cache, the quantity breaks, and
every state in words."""

import itertools
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.designs import instant_prices
from marketplace.designs.models import DesignRevision
from matching import quote_answers
from tests.data.analyses import BRACKET
from tests.factories import MaterialFactory, ProcessFactory
from tests.factories.designs import DesignRevisionFactory
from tests.factories.network import open_all_week
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of, workshop_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bracket(customer_alice):
    return DesignRevisionFactory(
        design__organization=organization_of(customer_alice), design__name="Bracket"
    )


@pytest.fixture
def printing(small_network):
    """An FDM printer in PLA beside the mills, so the table has two processes."""
    fdm = ProcessFactory(code="fdm", name="FDM printing", additive=True)
    pla = MaterialFactory(code="pla", name="PLA", family="thermoplastic", processes=[fdm])
    printer = open_all_week(workshop=small_network["stuttgart"], process=fdm, name="Printer")
    printer.materials.add(pla)
    return small_network


def _prices(client, user, revision):
    client.force_login(user)
    return client.get(f"/designs/files/{revision.pk}/prices/")


def _solves():
    """Counts the matcher's solves while letting them run."""
    return mock.patch.object(quote_answers, "quote", wraps=quote_answers.quote)


def _rows(response) -> dict[str, dict]:
    body = response.json()
    assert body["state"] == "ready", body
    return {row["process"]: row for row in body["rows"]}


def test_the_owner_reads_the_cheapest_price_per_process_at_each_quantity(
    client, customer_alice, bracket, printing, private_cache
):
    rows = _rows(_prices(client, customer_alice, bracket))
    assert set(rows) == {"cnc-3axis", "fdm"}
    assert rows["cnc-3axis"]["material_name"] == "Aluminium 6061-T6"
    assert rows["fdm"]["material_name"] == "PLA"
    for row in rows.values():
        assert row["breaks"][0] is not None
        for quantity, price in zip((1, 10, 100), row["breaks"], strict=True):
            assert price is None or price["quantity"] == quantity
        one = row["breaks"][0]
        assert one["currency"] == "EUR"
        assert one["total"] == f"{one['total_minor'] // 100}.{one['total_minor'] % 100:02d} EUR"
        assert "¢" not in one["unit"]
        assert "cent" not in one["unit"]
        assert one["quote_url"] == (
            f"/quotes/new/?design={bracket.design_id}&material={row['material']}&quantity=1"
        )


def test_the_unit_price_falls_as_the_quantity_grows_while_the_total_rises(
    client, customer_alice, bracket, printing, private_cache
):
    """What the matcher gives: the set-up is shared by more pieces, so each piece costs less,
    while more pieces cost more in all."""
    for row in _rows(_prices(client, customer_alice, bracket)).values():
        priced = [b for b in row["breaks"] if b]
        assert len(priced) >= 2, row
        for smaller, larger in itertools.pairwise(priced):
            assert larger["unit_minor"] <= smaller["unit_minor"]
            assert larger["total_minor"] > smaller["total_minor"]
            assert larger["delivery_at"] >= smaller["delivery_at"]


def test_a_reload_makes_no_solve_until_the_network_changes(
    client, customer_alice, bracket, small_network, private_cache
):
    with _solves() as solve:
        first = _prices(client, customer_alice, bracket).json()
        solved = solve.call_count
        assert solved >= 1
        assert _prices(client, customer_alice, bracket).json() == first
        assert solve.call_count == solved
        mill = small_network["stuttgart"].machines.filter(process__code="cnc-3axis").get()
        mill.hourly_rate_minor += 1000
        mill.save()
        _prices(client, customer_alice, bracket)
        assert solve.call_count > solved


def test_each_quantity_and_revision_is_cached_apart(
    customer_alice, bracket, small_network, private_cache
):
    other = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    with _solves() as solve:
        instant_prices.revision_prices_at(revision=bracket, quantity=1)
        after_one = solve.call_count
        instant_prices.revision_prices_at(revision=bracket, quantity=10)
        assert solve.call_count > after_one
        after_ten = solve.call_count
        instant_prices.revision_prices_at(revision=other, quantity=10)
        assert solve.call_count > after_ten


def test_another_organization_gets_404(
    client, customer_alice, workshop_bob, bracket, small_network, private_cache
):
    other_customer = DesignRevisionFactory().design.organization
    stranger = other_customer.memberships.first()
    assert _prices(client, workshop_bob, bracket).status_code == 404
    if stranger is not None:
        assert _prices(client, stranger.user, bracket).status_code == 404
    assert client.get("/designs/files/999999/prices/").status_code == 404


def test_a_workshop_holding_a_job_on_the_design_sees_it_but_not_its_prices(
    client, workshop_bob, bracket, private_cache
):
    line = QuoteLineFactory(request__organization=bracket.design.organization, revision=bracket)
    JobFactory(order__option__request=line.request, line=line, workshop=workshop_of(workshop_bob))
    client.force_login(workshop_bob)
    page = client.get(f"/designs/{bracket.design_id}/")
    assert page.status_code == 200
    assert "instant-prices" not in page.content.decode()
    assert _prices(client, workshop_bob, bracket).status_code == 404


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, bracket):
    response = client.get(f"/designs/files/{bracket.pk}/prices/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _state(client, user, revision) -> tuple[str, str]:
    body = _prices(client, user, revision).json()
    assert body["rows"] == []
    return body["state"], body["message"]


def test_an_analysis_still_running_says_so(client, customer_alice, bracket, private_cache):
    bracket.status, bracket.analysis = DesignRevision.Status.ANALYSING, None
    bracket.save()
    state, message = _state(client, customer_alice, bracket)
    assert state == "waiting"
    assert "analysis is still running" in message


def test_a_file_that_could_not_be_read_says_so(client, customer_alice, bracket, private_cache):
    bracket.status, bracket.analysis = DesignRevision.Status.FAILED, None
    bracket.save()
    assert _state(client, customer_alice, bracket)[0] == "failed"


def test_error_findings_block_prices_until_the_customer_overrides_them(
    client, customer_alice, bracket, small_network, private_cache
):
    bracket.analysis = {
        **BRACKET,
        "issues": [{"code": "open", "severity": "error", "message": "The mesh is not closed."}],
    }
    bracket.save()
    state, message = _state(client, customer_alice, bracket)
    assert state == "blocked"
    assert "Error findings block quoting" in message
    bracket.findings_override_reason = "The hole is drilled afterwards."
    bracket.save()
    assert _prices(client, customer_alice, bracket).json()["state"] == "ready"


def test_a_design_blocked_by_an_operator_is_not_priced(
    client, customer_alice, bracket, private_cache
):
    bracket.design.blocked, bracket.design.blocked_reason = True, "Looks like a weapon part."
    bracket.design.save()
    state, message = _state(client, customer_alice, bracket)
    assert state == "blocked"
    assert "Looks like a weapon part." in message


def test_without_a_workshop_that_can_make_it_the_table_says_so(
    client, customer_alice, bracket, private_cache
):
    state, message = _state(client, customer_alice, bracket)
    assert state == "none"
    assert message.startswith("No workshop can make this part yet")


def test_a_process_the_analysis_rules_out_is_not_priced(
    client, customer_alice, bracket, printing, private_cache
):
    bracket.analysis = {
        **BRACKET,
        "manufacturability": {
            "makeable_by": ["cnc-3axis"],
            "processes": [
                {"code": "cnc-3axis", "name": "Milling", "can_make": True, "findings": []},
                {"code": "fdm", "name": "FDM printing", "can_make": False, "findings": []},
            ],
        },
    }
    bracket.save()
    assert set(_rows(_prices(client, customer_alice, bracket))) == {"cnc-3axis"}


def test_the_design_page_loads_the_prices_after_itself(client, customer_alice, bracket):
    """The page renders without solving; its script fetches the table."""
    client.force_login(customer_alice)
    with _solves() as solve:
        response = client.get(f"/designs/{bracket.design_id}/")
    assert solve.call_count == 0
    html = response.content.decode()
    assert f'data-prices-url="/designs/files/{bracket.pk}/prices/"' in html
    assert "js/design-prices.js" in html


@given(total=st.integers(min_value=0, max_value=10**12), quantity=st.integers(1, 100_000))
def test_the_unit_price_is_the_total_shared_out_to_the_nearest_cent(total, quantity):
    unit = instant_prices._unit_minor(total, quantity)
    assert abs(unit * quantity - total) * 2 <= quantity


def test_a_confidential_design_is_priced_only_by_the_workshops_its_rule_admits(
    client, customer_alice, bracket, small_network, private_cache
):
    """The rule is part of the cache key: changing it prices afresh, no network change needed."""
    assert _prices(client, customer_alice, bracket).json()["state"] == "ready"
    design = bracket.design
    design.confidential, design.allowed_countries = True, ["JP"]
    design.save()
    state, message = _state(client, customer_alice, bracket)
    assert state == "none"
    assert message.startswith("No workshop can make this part yet")
    design.allowed_countries = ["DE"]
    design.save()
    design.allowed_workshops.add(small_network["stuttgart"])
    assert _prices(client, customer_alice, bracket).json()["state"] == "ready"
