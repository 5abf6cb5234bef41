"""Statement and settlement pages and API: each role sees its own, operators run settlements."""

import pytest
from django.utils import timezone

from billing.models import SettlementRun
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db


def test_statement_pages_show_each_organization_its_own_numbers(
    client,
    released,
    customer_alice,
    workshop_bob,
):
    client.force_login(customer_alice)
    page = client.get("/billing/statements/")
    assert page.status_code == 200
    assert released.reference in page.content.decode()
    detail = client.get(f"/billing/statements/orders/{released.order_id}/")
    assert "310.00 EUR" in detail.content.decode()
    pdf = client.get(f"/billing/statements/orders/{released.order_id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    client.force_login(workshop_bob)
    detail = client.get(f"/billing/statements/orders/{released.order_id}/")
    assert "CNC milling at Bob" in detail.content.decode()
    assert "Anodizing at Charlie" not in detail.content.decode()
    assert (
        "credit-note"
        in client.get(f"/billing/statements/orders/{released.order_id}/pdf/")["Content-Disposition"]
    )


def test_settlement_pages_are_for_operators_only(
    client,
    released,
    operator_olga,
    workshop_bob,
    django_capture_on_commit_callbacks,
):
    client.force_login(workshop_bob)
    assert client.get("/billing/settlements/").status_code == 403
    client.force_login(operator_olga)
    assert client.get("/billing/settlements/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/billing/settlements/",
            {"currency": "EUR"},
        )
    assert response.status_code == 302
    run = SettlementRun.objects.get()
    assert run.status == SettlementRun.Status.COMPLETED  # eager Celery in the embedded mode
    assert run.submitted_count == 3
    assert client.get(f"/billing/settlements/{run.pk}/").status_code == 200


def test_the_api_serves_statements_and_settlement_runs_by_role(
    released,
    customer_alice,
    workshop_bob,
    operator_olga,
):
    today = timezone.localdate().isoformat()
    alice = api_client_for(customer_alice)
    body = alice.get(f"/api/v1/billing/statements/orders/{released.order_id}/").json()
    assert body["role"] == "customer"
    assert body["total_minor"] == body["amount_paid_minor"] == 31000
    period = alice.get(
        "/api/v1/billing/statements/", {"period_start": today, "period_end": today}
    ).json()
    assert period["totals"][0]["total_minor"] == 31000
    pdf = alice.get(f"/api/v1/billing/statements/orders/{released.order_id}/pdf/")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    bob = api_client_for(workshop_bob)
    assert bob.get("/api/v1/billing/settlements/").status_code == 403
    assert (
        bob.post(
            "/api/v1/billing/settlements/",
            {"currency": "EUR"},
        ).status_code
        == 403
    )
    olga = api_client_for(operator_olga)
    start = {"currency": "EUR"}
    first = olga.post("/api/v1/billing/settlements/", start)
    assert first.status_code == 201
    assert first.json()["status"] == "completed"
    assert first.json()["submitted_count"] == 3
    again = olga.post("/api/v1/billing/settlements/", start)  # a later run: nothing left due
    assert (again.status_code, again.json()["payouts_count"]) == (201, 0)
    run_id = first.json()["id"]
    assert olga.get("/api/v1/billing/settlements/").json()
    retry = olga.post(f"/api/v1/billing/settlements/{run_id}/retry/")
    assert retry.status_code == 409
