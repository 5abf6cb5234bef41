"""The audit log of operator actions: written by the operator services, in their transaction,
never changed or deleted, read in time order on the operator's page."""

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.sites import site as admin_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.audit import AUDIT_PAGE_SIZE, record
from accounts.models import AppendOnly, OperatorAction
from billing.money import Money
from marketplace.errors import DomainError
from marketplace.network.models import Workshop
from marketplace.network.services import workshop_verify
from marketplace.orders.services import order_cancel
from tests.helpers import organization_of, pay_manually, place_quoted_order

pytestmark = pytest.mark.django_db


def _workshop(user) -> Workshop:
    return Workshop.objects.get(organization=organization_of(user))


def test_a_verification_is_recorded_with_who_what_which_and_when(operator_olga, workshop_bob):
    workshop = _workshop(workshop_bob)
    workshop_verify(user=operator_olga, workshop=workshop, status="suspended", note="Expired ISO")
    entry = OperatorAction.objects.get()
    assert (entry.actor, entry.actor_email, entry.action) == (
        operator_olga,
        "olga@example.com",
        "workshop.verify",
    )
    assert (entry.target_type, entry.target_id) == ("marketplace.workshop", str(workshop.pk))
    assert entry.details == {"status": "suspended", "note": "Expired ISO"}


def test_a_refused_action_leaves_no_entry(operator_olga, workshop_bob):
    with pytest.raises(DomainError):
        workshop_verify(user=operator_olga, workshop=_workshop(workshop_bob), status="rejected")
    assert not OperatorAction.objects.exists()


def test_a_non_operator_cannot_act_so_nothing_is_recorded(workshop_bob, customer_alice):
    with pytest.raises(DomainError):
        workshop_verify(user=customer_alice, workshop=_workshop(workshop_bob), status="verified")
    assert not OperatorAction.objects.exists()


def test_a_manual_payment_and_an_operator_cancellation_are_recorded(
    operator_olga, customer_alice, small_network, fast_matcher, django_capture_on_commit_callbacks
):
    order = place_quoted_order(customer_alice)
    payment = pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    order_cancel(user=operator_olga, order=order, reason="Customer asked by phone")
    actions = list(OperatorAction.objects.order_by("id").values_list("action", "target_type"))
    assert actions == [
        ("payment.confirm_manual", "billing.payment"),
        ("order.cancel", "marketplace.order"),
    ]
    paid = OperatorAction.objects.get(action="payment.confirm_manual").details
    assert Money(paid["amount_minor"], paid["currency"]) == Money(
        payment.amount_minor, payment.currency
    )


def test_entries_are_never_changed_or_deleted(operator_olga):
    entry = record(actor=operator_olga, action="test.act", target=operator_olga)
    entry.action = "test.rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        OperatorAction.objects.filter(pk=entry.pk).update(action="test.rewritten")
    with pytest.raises(AppendOnly):
        OperatorAction.objects.all().delete()
    assert OperatorAction.objects.get().action == "test.act"


def test_the_admin_shows_the_log_but_offers_no_add_change_or_delete(rf, operator_olga):
    request = rf.get("/admin/")
    request.user = operator_olga
    operator_olga.is_staff = operator_olga.is_superuser = True
    model_admin = admin_site._registry[OperatorAction]
    entry = record(actor=operator_olga, action="test.act", target=operator_olga)
    assert model_admin.has_view_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["workshop.verify", "design_report.decide", "payout.mark_paid"]),
        st.integers(min_value=-3600, max_value=3600),  # seconds the clock jumps before it
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=ACTIONS)
def test_any_sequence_of_actions_gives_an_append_only_time_ordered_log(operator_olga, actions):
    """Whatever the clock does (NTP steps it back), the log reads in the order things happened,
    and what was written stays as written."""
    before = {e.pk: (e.action, e.created_at) for e in OperatorAction.objects.all()}
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    written = []
    for action, jump in actions:
        now += dt.timedelta(seconds=jump)
        with time_machine.travel(now, tick=False):
            written.append(record(actor=operator_olga, action=action, target=operator_olga).pk)
    log = list(OperatorAction.objects.order_by("id"))
    assert [e.pk for e in log][-len(actions) :] == written
    assert [e.action for e in log][-len(actions) :] == [a for a, _ in actions]
    times = [e.created_at for e in log]
    assert times == sorted(times)
    assert {e.pk: (e.action, e.created_at) for e in log if e.pk in before} == before


def test_the_operator_page_filters_and_pages_the_log(client, operator_olga, workshop_bob):
    for number in range(AUDIT_PAGE_SIZE + 5):
        record(actor=operator_olga, action="test.bulk", target=operator_olga, details={"n": number})
    workshop_verify(user=operator_olga, workshop=_workshop(workshop_bob), status="verified")
    client.force_login(operator_olga)

    first = client.get("/operations/audit/").content.decode()
    assert "workshop.verify" in first  # newest first
    assert f"{AUDIT_PAGE_SIZE + 6} entries" in first
    second = client.get("/operations/audit/?page=2").content.decode()
    assert second.count("<code>test.bulk</code>") == 6
    only = client.get("/operations/audit/?action=workshop.verify").content.decode()
    assert only.count("<code>workshop.verify</code>") == 1
    assert "<code>test.bulk</code>" not in only
    assert "1 entries" in only
    nobody = client.get("/operations/audit/?actor=nobody%40example.com").content.decode()
    assert "No operator action matches." in nobody


def test_only_operators_read_the_log(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get("/operations/audit/").status_code in (403, 404)
