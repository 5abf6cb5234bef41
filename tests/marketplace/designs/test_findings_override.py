"""A design with an error finding is not quoted until it is fixed or the customer overrides
the findings with a reason, which everyone who sees the design or the quote reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.designs.models import DesignRevision
from marketplace.designs.services import revision_findings_override
from marketplace.errors import DomainError, PermissionDenied
from tests.factories.designs import bracket_and_gear
from tests.helpers import api_client_for, error_of, organization_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]

API = "/api/v1"
MUNICH = {
    "name": "Goods in",
    "address": "Main street 1",
    "city": "Munich",
    "country": "DE",
    "latitude": 48.1351,
    "longitude": 11.5820,
}
THIN = {
    "code": "thin_walls",
    "severity": "error",
    "message": "About 40% of the surface is on walls thinner than the 0.8 mm minimum.",
}
REASON = "The 0.6 mm ribs are cosmetic; we accept that they may not form."


def with_error(revision: DesignRevision) -> DesignRevision:
    revision.analysis = {**revision.analysis, "issues": [THIN]}
    revision.save(update_fields=["analysis"])
    return revision


def ask_for_quote(client, revisions):
    lines = [
        {"revision": r.pk, "material": "al-6061", "finish": "anodized", "quantity": 2}
        for r in revisions
    ]
    return client.post(f"{API}/quotes/", {"lines": lines, "ship_to": MUNICH}, format="json")


def test_a_design_with_an_error_finding_is_refused_with_a_400_and_nothing_is_stored(
    small_network, customer_alice
):
    bracket, gear = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    response = ask_for_quote(api_client_for(customer_alice), [bracket, gear])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "quote_invalid"
    assert "has errors in its analysis" in error["message"]
    assert THIN["message"] in error["message"]
    assert not organization_of(customer_alice).quote_requests.exists()


def test_an_overridden_design_is_quoted_and_the_reason_is_shown_on_the_quote(
    small_network, customer_alice, client
):
    bracket, gear = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    api = api_client_for(customer_alice)
    response = api.post(
        f"{API}/designs/{bracket.design_id}/findings-override/", {"reason": REASON}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["latest"]["is_quotable"] is True
    assert response.json()["latest"]["findings_override_reason"] == REASON

    response = ask_for_quote(api, [bracket, gear])
    assert response.status_code == 201, response.json()
    client.force_login(customer_alice)
    page = client.get(reverse("quote_detail", args=[response.json()["id"]])).content.decode()
    assert REASON in page


def test_the_reason_is_shown_on_the_design_page_to_its_viewers(customer_alice, client):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    client.force_login(customer_alice)
    page = client.get(reverse("design_detail", args=[bracket.design_id])).content.decode()
    assert 'data-testid="not-quotable"' in page
    assert "Get a quote for this part" not in page

    response = client.post(
        reverse("design_findings_override", args=[bracket.pk]), {"reason": REASON}
    )
    assert response.status_code == 302
    page = client.get(reverse("design_detail", args=[bracket.design_id])).content.decode()
    assert REASON in page
    assert 'data-testid="not-quotable"' not in page
    assert "Get a quote for this part" in page


@pytest.mark.parametrize("reason", ["ok", "x" * 1001])
def test_a_reason_too_short_or_too_long_is_refused_and_changes_nothing(customer_alice, reason):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    api = api_client_for(customer_alice)
    response = api.post(
        f"{API}/designs/{bracket.design_id}/findings-override/", {"reason": reason}, format="json"
    )
    assert response.status_code == 400
    bracket.refresh_from_db()
    assert not bracket.findings_overridden
    assert not bracket.is_quotable


def test_a_page_post_with_a_short_reason_says_why(customer_alice, client):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    client.force_login(customer_alice)
    response = client.post(
        reverse("design_findings_override", args=[bracket.pk]), {"reason": "ok"}, follow=True
    )
    assert "why the part can be made as it is" in response.content.decode()
    bracket.refresh_from_db()
    assert not bracket.findings_overridden


def test_there_is_nothing_to_override_on_a_clean_design(customer_alice):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with pytest.raises(DomainError, match="no error findings"):
        revision_findings_override(user=customer_alice, revision=bracket, reason=REASON)


def test_only_the_owners_may_override(customer_alice, workshop_bob):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    with pytest.raises(PermissionDenied):
        revision_findings_override(user=workshop_bob, revision=bracket, reason=REASON)


def test_a_blank_reason_withdraws_the_override(customer_alice):
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    revision_findings_override(user=customer_alice, revision=bracket, reason=REASON)
    bracket.refresh_from_db()
    assert bracket.is_quotable
    assert bracket.findings_overridden_by == customer_alice
    revision_findings_override(user=customer_alice, revision=bracket, reason="  ")
    bracket.refresh_from_db()
    assert not bracket.is_quotable
    assert bracket.findings_overridden_at is None


def test_a_new_revision_starts_without_the_override(customer_alice):
    """A fixed upload is judged afresh: the override belongs to the file it was given for."""
    (bracket, _) = bracket_and_gear(organization_of(customer_alice))
    with_error(bracket)
    revision_findings_override(user=customer_alice, revision=bracket, reason=REASON)
    fixed = DesignRevision.objects.create(
        design=bracket.design,
        number=2,
        file=bracket.file.name,
        original_name="fixed.stl",
        format="stl_binary",
        size_bytes=1,
        sha256="1" * 64,
        status=DesignRevision.Status.ANALYSED,
        analysis={**bracket.analysis, "issues": [THIN]},
    )
    assert not fixed.is_quotable
