"""Credit notes for refunds: numbered once in their own sequence, as PDF, for the customer only."""

from unittest import mock

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from billing import services
from billing.credit_notes import credit_note_issue, credit_notes_issue_missing
from billing.errors import Conflict
from billing.models import CreditNote, Refund
from billing.pdf import invoice_pdf, refund_credit_note_pdf
from billing.statements import order_statement
from tests.billing.helpers import eur, org
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.billing import PaymentFactory

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def _paid(customer):
    payment = PaymentFactory(payer=org(customer))
    return services.payment_confirm(payment=payment, amount=payment.amount, provider_reference="x")


def _refund(payment, minor, reason):
    return services.payment_refund(payment=payment, amount=eur(minor), reason=reason)


@pytest.fixture
def refunded(customer_alice, workshop_bob):
    """310.00 paid, Bob's 120.00 released on acceptance, then cancelled: 190.00 refunded."""
    payment = _paid(customer_alice)
    services.share_price_release(
        payment=payment,
        party_id="job-1",
        organization=org(workshop_bob),
        amount=eur(12000),
        kind="workshop",
        label="CNC milling at Bob",
        frozen=False,
    )
    return _refund(payment, 19000, "The order was cancelled: no longer needed")


def test_each_refund_gets_the_next_number_of_the_year_once(customer_alice, refunded):
    first = credit_note_issue(refund=refunded)
    assert first.number == f"CN-{YEAR}-000001"
    assert (first.amount, first.reason, first.organization) == (
        eur(19000),
        "The order was cancelled: no longer needed",
        org(customer_alice),
    )
    assert credit_note_issue(refund=refunded) == first  # idempotent

    other = _refund(_paid(customer_alice), 500, "Rebate for lateness")
    assert credit_note_issue(refund=other).number == f"CN-{YEAR}-000002"
    assert CreditNote.objects.count() == 2


def test_numbers_restart_each_year_and_never_repeat(customer_alice, refunded):
    CreditNote.objects.create(
        refund=_refund(_paid(customer_alice), 100, "old"),
        organization=org(customer_alice),
        order_id=1,
        reference="ORD-1",
        year=YEAR - 1,
        sequence=41,
        number=CreditNote.format_number(YEAR - 1, 41),
        amount_minor=100,
        currency="EUR",
        refunded_at=timezone.now(),
    )
    assert credit_note_issue(refund=refunded).number == f"CN-{YEAR}-000001"


def test_many_refunds_are_numbered_without_gaps_or_duplicates(customer_alice):
    refunds = [_refund(_paid(customer_alice), 100 + i, f"refund {i}") for i in range(6)]
    numbers = [credit_note_issue(refund=r).number for r in refunds]
    assert numbers == [f"CN-{YEAR}-{n:06d}" for n in range(1, 7)]


def test_an_issuer_that_loses_the_race_for_a_number_takes_the_next(customer_alice, refunded):
    """Another worker took 000001 after this issuer read the last number: the unique
    constraint refuses a second 000001 and the issuer retries with the next."""
    other = credit_note_issue(refund=_refund(_paid(customer_alice), 500, "other"))
    assert other.number == f"CN-{YEAR}-000001"
    stale_reads = iter([{"last": 0}])  # the first read happened before the other's insert
    real_aggregate = QuerySet.aggregate

    def aggregate(self, *args, **kwargs):
        return next(stale_reads, None) or real_aggregate(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "aggregate", aggregate):
        note = credit_note_issue(refund=refunded)
    assert next(stale_reads, None) is None  # the stale read was used
    assert note.number == f"CN-{YEAR}-000002"
    assert CreditNote.objects.filter(year=YEAR).count() == 2


def test_a_refund_that_did_not_go_through_gets_no_credit_note(customer_alice):
    payment = _paid(customer_alice)
    pending = Refund.objects.create(
        payment=payment, amount_minor=100, currency="EUR", idempotency_key="lost-answer"
    )
    with pytest.raises(Conflict):
        credit_note_issue(refund=pending)
    assert credit_notes_issue_missing(customer=org(customer_alice)) == []


def test_the_credit_note_pdf_names_the_refund_the_invoice_and_the_notes(refunded):
    note = credit_note_issue(refund=refunded)
    decision = "Dispute decided: the parts arrived scratched."
    pdf = refund_credit_note_pdf(note, notes=[decision], compress=False)
    assert pdf.startswith(b"%PDF")
    for text in (
        b"Credit note",
        note.number.encode(),
        f"INV-{note.reference}".encode(),
        b"The order was cancelled: no longer needed",
        b"190.00 EUR",
        b"Total credited",
        timezone.localdate().isoformat().encode(),
        decision.encode(),
        b"VAT reversed",
    ):
        assert text in pdf, text
    assert refund_credit_note_pdf(note).startswith(b"%PDF")


def test_the_invoice_of_a_cancelled_order_lists_what_was_kept_and_each_refund(
    refunded, customer_alice
):
    note = credit_note_issue(refund=refunded)
    statement = order_statement(
        organization=org(customer_alice),
        order_id=refunded.payment.order_id,
        notes=["Cancelled by the customer before production."],
    )
    pdf = invoice_pdf(statement, compress=False)
    for text in (
        b"CNC milling at Bob",
        b"120.00 EUR",
        b"Ended before completion",
        b"Refunds",
        b"-190.00 EUR",
        note.number.encode(),
        b"Paid: 310.00 EUR; refunded: 190.00 EUR; net paid: 120.00 EUR.",
        b"Cancelled by the customer before production.",
    ):
        assert text in pdf, text
    assert b"Platform fee" not in pdf  # nothing is charged for an order never completed


# -- pages ----------------------------------------------------------------------------------
def test_the_statement_page_issues_the_credit_note_once_and_links_it(
    client, refunded, customer_alice
):
    client.force_login(customer_alice)
    url = f"/billing/statements/orders/{refunded.payment.order_id}/"
    page = client.get(url).content.decode()
    note = CreditNote.objects.get(refund=refunded)
    assert f"/billing/credit-notes/{note.pk}/pdf/" in page
    assert note.number in page
    client.get(url)
    assert CreditNote.objects.count() == 1


def test_the_customer_and_operators_download_the_credit_note_and_others_get_404(
    client, refunded, customer_alice, operator_olga, workshop_bob
):
    note = credit_note_issue(refund=refunded)
    url = f"/billing/credit-notes/{note.pk}/pdf/"

    client.force_login(customer_alice)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert note.number in response["Content-Disposition"]

    colleague = UserFactory(email="alice2@example.com")
    MembershipFactory(user=colleague, organization=org(customer_alice), role="member")
    client.force_login(colleague)
    assert client.get(url).status_code == 200

    client.force_login(operator_olga)
    assert client.get(url).status_code == 200

    stranger = UserFactory(email="eve@example.com")
    MembershipFactory(user=stranger, organization=OrganizationFactory(kind="customer"))
    for user in (stranger, workshop_bob):  # Bob did work on the order: still not his
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert client.get("/billing/credit-notes/999999/pdf/").status_code == 404

    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_credit_note_list_shows_only_the_organizations_own_notes(
    client, refunded, customer_alice
):
    client.force_login(customer_alice)
    page = client.get("/billing/credit-notes/").content.decode()
    note = CreditNote.objects.get(refund=refunded)  # issued on the first look
    assert note.number in page
    assert "190.00 EUR" in page
    assert "The order was cancelled: no longer needed" in page

    stranger = UserFactory(email="eve@example.com")
    MembershipFactory(user=stranger, organization=OrganizationFactory(kind="customer"))
    client.force_login(stranger)
    page = client.get("/billing/credit-notes/").content.decode()
    assert note.number not in page
    assert "No refund yet" in page
