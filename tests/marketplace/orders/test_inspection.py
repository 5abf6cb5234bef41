"""Inspection results: who may record them, when, and that the margin share reads them."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.sharing import Quality
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.network.models import Process
from marketplace.orders.contributions import job_party
from marketplace.orders.inspection import job_inspection_record, job_inspector_role
from marketplace.orders.models import Job, OrderEvent
from tests.factories import (
    MachineFactory,
    MembershipFactory,
    OrganizationFactory,
    ProcessFactory,
    UserFactory,
)
from tests.factories.orders import JobFactory, OrderFactory
from tests.helpers import api_client_for, error_of, organization_of, workshop_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(customer_alice, workshop_bob, workshop_charlie, operator_olga):
    """Alice's order in production: Bob milled the part (done), Charlie inspects it next."""
    order = OrderFactory(
        option__request__organization=organization_of(customer_alice), status="in_production"
    )
    bob_shop, charlie_shop = workshop_of(workshop_bob), workshop_of(workshop_charlie)
    milled = JobFactory(
        order=order,
        workshop=bob_shop,
        sequence=0,
        status=Job.Status.DONE,
        finished_at=timezone.now(),
    )
    cmm = ProcessFactory(
        code="cmm-inspection",
        name="CMM inspection",
        family=Process.Family.INSPECTION,
        rate_unit=Process.RateUnit.PARTS,
    )
    inspect = JobFactory(
        order=order,
        workshop=charlie_shop,
        machine=MachineFactory(workshop=charlie_shop, process=cmm),
        sequence=1,
        status=Job.Status.ACCEPTED,
    )
    return {
        "order": order,
        "milled": milled,
        "inspect": inspect,
        "alice": customer_alice,
        "bob": workshop_bob,
        "charlie": workshop_charlie,
        "olga": operator_olga,
    }


def _deliver(order):
    order.status = "delivered"
    order.save(update_fields=["status"])


def test_the_inspecting_workshop_records_rework_and_the_share_reads_it(world):
    job = job_inspection_record(
        user=world["charlie"], job=world["milled"], outcome="reworked", note="Burrs on bore"
    )
    job.refresh_from_db()
    assert (job.inspection, job.inspection_note, job.inspected_by) == (
        "reworked",
        "Burrs on bore",
        world["charlie"],
    )
    assert job.inspected_at is not None
    contribution, _ = job_party(job, "EUR")
    assert contribution.quality == Quality.REWORKED
    event = OrderEvent.objects.get(order=world["order"], kind="job.inspected")
    assert (event.actor, event.role) == (world["charlie"], "workshop")
    assert "reworked" in event.reason


def test_uninspected_work_counts_as_accepted_and_rejection_reaches_the_rule(world):
    assert job_party(world["milled"], "EUR")[0].quality == Quality.ACCEPTED
    job = job_inspection_record(
        user=world["olga"], job=world["milled"], outcome="rejected", note="Wrong alloy"
    )
    assert job_party(job, "EUR")[0].quality == Quality.REJECTED


def test_a_workshop_cannot_grade_its_own_work(world):
    with pytest.raises(PermissionDenied):
        job_inspection_record(user=world["bob"], job=world["milled"], outcome="accepted")
    assert job_inspector_role(user=world["bob"], job=world["milled"]) is None


def test_a_workshop_with_no_later_inspection_step_cannot_record(world):
    outsider = UserFactory()
    MembershipFactory(user=outsider, organization=OrganizationFactory(kind="workshop"))
    with pytest.raises(PermissionDenied):
        job_inspection_record(user=outsider, job=world["milled"], outcome="rejected", note="x")


def test_an_inspection_step_not_yet_taken_on_gives_no_right_to_record(world):
    Job.objects.filter(pk=world["inspect"].pk).update(status=Job.Status.OFFERED)
    with pytest.raises(PermissionDenied):
        job_inspection_record(user=world["charlie"], job=world["milled"], outcome="accepted")


def test_the_customer_records_only_once_the_parts_are_delivered(world):
    with pytest.raises(PermissionDenied):
        job_inspection_record(user=world["alice"], job=world["milled"], outcome="accepted")
    _deliver(world["order"])
    job = job_inspection_record(
        user=world["alice"], job=world["milled"], outcome="rejected", note="Cracked"
    )
    assert job.inspection == "rejected"


def test_a_recorded_outcome_is_corrected_only_by_an_operator(world):
    job_inspection_record(user=world["charlie"], job=world["milled"], outcome="accepted")
    with pytest.raises(Conflict, match="already recorded as accepted"):
        job_inspection_record(
            user=world["charlie"], job=world["milled"], outcome="rejected", note="Oops"
        )
    job = job_inspection_record(
        user=world["olga"], job=world["milled"], outcome="reworked", note="Found later"
    )
    assert (job.inspection, job.inspected_by) == ("reworked", world["olga"])


def test_rework_and_rejection_need_a_note_and_unknown_outcomes_are_refused(world):
    with pytest.raises(DomainError, match="Say what was wrong"):
        job_inspection_record(user=world["charlie"], job=world["milled"], outcome="rejected")
    with pytest.raises(DomainError, match="Choose accepted"):
        job_inspection_record(user=world["charlie"], job=world["milled"], outcome="great")


def test_unfinished_steps_and_completed_orders_cannot_be_inspected(world):
    with pytest.raises(Conflict, match="finished step"):
        job_inspection_record(user=world["olga"], job=world["inspect"], outcome="accepted")
    world["order"].status = "completed"
    world["order"].save(update_fields=["status"])
    with pytest.raises(Conflict, match="can no longer change it"):
        job_inspection_record(user=world["olga"], job=world["milled"], outcome="accepted")


def test_the_api_records_an_inspection_for_the_inspecting_workshop(world):
    order, milled = world["order"], world["milled"]
    url = f"{API}/orders/{order.pk}/jobs/{milled.pk}/inspection/"
    response = api_client_for(world["charlie"]).post(
        url, {"outcome": "reworked", "note": "Burrs"}, format="json"
    )
    assert response.status_code == 200, response.content
    step = next(j for j in response.json()["jobs"] if j["id"] == milled.pk)
    assert (step["inspection"], step["inspection_note"]) == ("reworked", "Burrs")


def test_the_api_refuses_the_producing_workshop_and_bad_input(world):
    order, milled = world["order"], world["milled"]
    url = f"{API}/orders/{order.pk}/jobs/{milled.pk}/inspection/"
    response = api_client_for(world["bob"]).post(url, {"outcome": "accepted"}, format="json")
    assert response.status_code == 403
    response = api_client_for(world["charlie"]).post(url, {"outcome": "meh"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert "outcome" in error_of(response)["fields"]


def test_the_api_hides_other_orders_and_foreign_steps(world):
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=OrganizationFactory())
    order, milled = world["order"], world["milled"]
    url = f"{API}/orders/{order.pk}/jobs/{milled.pk}/inspection/"
    assert api_client_for(stranger).post(url, {"outcome": "accepted"}).status_code == 404
    other = JobFactory(status=Job.Status.DONE)
    wrong = f"{API}/orders/{order.pk}/jobs/{other.pk}/inspection/"
    assert api_client_for(world["olga"]).post(wrong, {"outcome": "accepted"}).status_code == 404


def test_the_order_page_offers_the_button_to_the_inspector_only(client, world):
    order, milled = world["order"], world["milled"]
    page = reverse("order_detail", args=[order.pk])
    client.force_login(world["charlie"])
    assert f'data-testid="inspect-{milled.pk}"' in client.get(page).content.decode()
    client.force_login(world["bob"])
    assert f'data-testid="inspect-{milled.pk}"' not in client.get(page).content.decode()

    client.force_login(world["charlie"])
    response = client.post(
        reverse("job_inspection", args=[order.pk, milled.pk]),
        {"outcome": "rejected", "note": "Out of tolerance"},
    )
    assert response.status_code == 302
    milled.refresh_from_db()
    assert milled.inspection == "rejected"
    assert "Rejected" in client.get(page).content.decode()


def test_anonymous_callers_cannot_record_an_inspection(world):
    url = f"{API}/orders/{world['order'].pk}/jobs/{world['milled'].pk}/inspection/"
    response = APIClient().post(url, {"outcome": "accepted"}, format="json")
    assert response.status_code == 401
    world["milled"].refresh_from_db()
    assert world["milled"].inspection == ""
