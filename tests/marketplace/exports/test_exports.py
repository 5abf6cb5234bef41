"""An organization's export: built in the background with progress, one ZIP whose export.json
validates against docs/export-schema.json, holding every revision's file, the orders with their
history and messages, the ledger and the invoices as PDF; members only, until it expires."""

import csv
import io

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import Conflict, NotFound, PermissionDenied
from marketplace.exports.archive import _safe_name
from marketplace.exports.models import EXPORT_VALIDITY, OrganizationExport
from marketplace.exports.services import (
    export_file_for_download,
    export_request,
    exports_expired_delete,
)
from marketplace.orders.conversation import message_post
from marketplace.orders.services import order_cancel
from tests.factories.designs import DesignRevisionFactory
from tests.helpers import (
    api_client_for,
    organization_of,
    pay_manually,
    place_quoted_order,
)
from tests.marketplace.exports.archive_reader import open_archive

pytestmark = pytest.mark.django_db


def _built(user, capture) -> OrganizationExport:
    """Asks for an export and runs the task the way the commit would start it."""
    with capture(execute=True):
        export = export_request(user=user, organization=organization_of(user))
    export.refresh_from_db()
    return export


def _download(client, user, export) -> bytes:
    client.force_login(user)
    response = client.get(f"/exports/{export.pk}/download/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


@pytest.fixture
def cancelled_order(
    customer_alice, operator_olga, small_network, fast_matcher, django_capture_on_commit_callbacks
):
    """A paid order of Alice's, with a message, cancelled by an operator: refunded, so that
    it has an invoice and a refund credit note."""
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    message_post(
        user=customer_alice,
        order=order,
        organization=organization_of(customer_alice),
        body="Can the gear be ready a day earlier?",
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(user=operator_olga, order=order, reason="Customer asked by phone")
    return order


def test_a_customer_export_holds_everything_and_validates_against_the_schema(
    client, customer_alice, cancelled_order, django_capture_on_commit_callbacks
):
    export = _built(customer_alice, django_capture_on_commit_callbacks)
    assert (export.status, export.progress, export.step) == ("ready", 100, "Ready")
    assert export.expires_at - export.finished_at == EXPORT_VALIDITY
    archive, document = open_archive(_download(client, customer_alice, export))

    assert document["organization"]["name"] == "Acme Robotics"
    assert [m["email"] for m in document["members"]] == ["alice@example.com"]
    names = {d["name"] for d in document["designs"]}
    assert names == {"Bracket", "Gear"}
    for design in document["designs"]:
        revision = design["revisions"][0]
        assert archive.read(revision["file"]) == b"solid part\nendsolid part\n"
    (quote,) = document["quotes"]
    assert len(quote["lines"]) == 2
    assert quote["options"]
    (order,) = document["orders"]
    assert (order["reference"], order["role"], order["status"]) == (
        cancelled_order.reference,
        "customer",
        "cancelled",
    )
    assert [e["to_status"] for e in order["events"]][-1] == "cancelled"
    assert order["messages"][0]["body"] == "Can the gear be ready a day earlier?"
    kinds = sorted(d["kind"] for d in document["documents"])
    assert kinds == ["invoice", "refund_credit_note"]
    for listed in document["documents"]:
        assert archive.read(listed["file"]).startswith(b"%PDF")
    ledger = list(csv.DictReader(io.StringIO(archive.read("ledger.csv").decode())))
    assert ledger
    assert len(ledger) == len(document["ledger"])
    assert "README.txt" in archive.namelist()


def test_a_workshop_export_holds_its_machines_calendars_and_jobs_not_the_customer_price(
    client, cancelled_order, small_network, django_capture_on_commit_callbacks
):
    job = cancelled_order.jobs.exclude(status__in=["planned", "superseded"]).first()
    if job is None:
        job = cancelled_order.jobs.first()
    owner = job.workshop.organization.memberships.first().user
    export = _built(owner, django_capture_on_commit_callbacks)
    _, document = open_archive(_download(client, owner, export))
    machines = document["machines"]
    assert machines
    assert all(m["workshop_id"] == job.workshop_id for m in machines)
    assert any(m["weekly_hours"] for m in machines)
    assert document["designs"] == []
    assert document["quotes"] == []
    assert document["orders"]
    for order in document["orders"]:
        assert order["role"] == "party"
        assert "price_minor" not in order
        assert order["messages"] == []  # the customer's message stays the customer's


def test_a_second_request_while_one_is_building_returns_it(customer_alice):
    first = export_request(user=customer_alice, organization=organization_of(customer_alice))
    again = export_request(user=customer_alice, organization=organization_of(customer_alice))
    assert (again.pk, again.status) == (first.pk, "pending")
    assert OrganizationExport.objects.count() == 1


def test_only_members_ask_for_and_download_an_export(
    client, customer_alice, workshop_bob, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        export_request(user=workshop_bob, organization=organization_of(customer_alice))
    export = _built(customer_alice, django_capture_on_commit_callbacks)
    with pytest.raises(NotFound):
        export_file_for_download(user=workshop_bob, export_id=export.pk)
    client.force_login(workshop_bob)
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404
    api = api_client_for(workshop_bob)
    assert api.get(f"/api/v1/exports/{export.pk}/download/").status_code == 404
    assert api.get(f"/api/v1/exports/{export.pk}/").status_code == 404


def test_an_expired_link_is_refused_with_a_reason_and_its_file_is_removed(
    client, customer_alice, django_capture_on_commit_callbacks
):
    export = _built(customer_alice, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + EXPORT_VALIDITY + timezone.timedelta(minutes=1)):
        with pytest.raises(Conflict, match="expired"):
            export_file_for_download(user=customer_alice, export_id=export.pk)
        client.force_login(customer_alice)
        page = client.get(f"/exports/{export.pk}/download/")
        assert page.status_code == 409
        assert "expired" in page.content.decode()
        assert exports_expired_delete() == 1
    export.refresh_from_db()
    assert not export.file


def test_the_api_starts_an_export_reports_progress_and_serves_the_archive(
    customer_alice, django_capture_on_commit_callbacks
):
    api = api_client_for(customer_alice)
    organization = organization_of(customer_alice)
    DesignRevisionFactory(design__organization=organization, design__name="Bracket")
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/organizations/{organization.pk}/exports/")
    assert started.status_code == 202
    assert started.json()["status"] == "pending"
    detail = api.get(f"/api/v1/exports/{started.json()['id']}/").json()
    assert (detail["status"], detail["progress"]) == ("ready", 100)
    download = api.get(detail["download_url"])
    assert download.status_code == 200
    _, document = open_archive(b"".join(download.streaming_content))
    assert [d["name"] for d in document["designs"]] == ["Bracket"]
    listed = api.get(f"/api/v1/organizations/{organization.pk}/exports/").json()
    assert [e["id"] for e in listed] == [detail["id"]]


def test_an_export_not_built_yet_cannot_be_downloaded(customer_alice):
    api = api_client_for(customer_alice)
    export = export_request(user=customer_alice, organization=organization_of(customer_alice))
    response = api.get(f"/api/v1/exports/{export.pk}/download/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_not_ready"


def test_a_missing_design_file_fails_the_export_with_a_message_and_no_archive(
    customer_alice, django_capture_on_commit_callbacks
):
    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    revision.file.storage.delete(revision.file.name)
    export = _built(customer_alice, django_capture_on_commit_callbacks)
    assert export.status == "failed"
    assert "could not be built" in export.error
    assert not export.file


def test_the_export_page_starts_one_and_lists_it(
    client, customer_alice, django_capture_on_commit_callbacks
):
    organization = organization_of(customer_alice)
    client.force_login(customer_alice)
    assert "Export all of" in client.get(f"/organizations/{organization.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/organizations/{organization.pk}/export/start/")
    assert response.status_code == 302
    page = client.get(f"/organizations/{organization.pk}/export/").content.decode()
    assert 'data-testid="export-download"' in page


@given(name=st.text(min_size=0, max_size=40))
def test_no_uploaded_name_climbs_out_of_its_folder_in_the_archive(name):
    safe = _safe_name(name)
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert not safe.startswith(".")
