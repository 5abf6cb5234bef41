"""VAT invoices: totals, VAT per line, reverse charge, gap-less numbers, credit notes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.vat_ids import VatIdInvalid
from billing.errors import Conflict
from billing.invoicing import (
    SERIES_CREDIT,
    SERIES_INVOICE,
    checkout_details_record,
    invoice_cancel,
    invoice_issue,
)
from billing.models import CheckoutDetails, Invoice, InvoiceCounter
from billing.vat import REVERSE_CHARGE_MENTION, vat_of_line
from tests.billing.invoice_story import checkout_for, lines_of
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DB_HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def buyer():
    return OrganizationFactory(name="Acme Robotics", kind="customer")


def _issue(buyer, order_id, *minors):
    return invoice_issue(
        order_id=order_id,
        reference=f"CF-2026-{order_id:05d}",
        buyer_organization=buyer,
        lines=lines_of(*minors),
        currency="EUR",
    )


def test_a_domestic_invoice_charges_the_seller_rate_per_line(buyer):
    order_id = checkout_for(buyer, country="DE", vat_id="DE136695976")
    invoice = _issue(buyer, order_id, 1005, 2000)
    lines = list(invoice.lines.all())
    assert [(line.rate_bp, line.vat_minor) for line in lines] == [(1900, 191), (1900, 380)]
    assert (invoice.net_minor, invoice.vat_minor, invoice.gross_minor) == (3005, 571, 3576)
    assert invoice.treatment == "domestic"
    assert invoice.buyer_vat_id == "DE136695976"
    assert invoice.issuer_vat_id
    assert invoice.po_number == "PO-4711"
    assert invoice.buyer_lines[0] == "Hauptstraße 1"


def test_a_business_in_another_member_state_is_reverse_charged(buyer):
    order_id = checkout_for(buyer, country="FR", vat_id="FR40303265045")
    invoice = _issue(buyer, order_id, 12_345)
    assert (invoice.vat_minor, invoice.gross_minor) == (0, 12_345)
    assert invoice.mention == REVERSE_CHARGE_MENTION


def test_a_bad_vat_id_at_checkout_is_refused_and_nothing_is_kept(buyer):
    with pytest.raises(VatIdInvalid):
        checkout_details_record(
            order_id=99,
            reference="CF-2026-00099",
            organization=buyer,
            billing_name="Acme",
            billing_lines=[],
            billing_country="DE",
            vat_id="DE136695977",
            po_number="",
            delivery_lines=[],
            delivery_country="DE",
            payment_provider="manual",
        )
    assert not CheckoutDetails.objects.exists()


def test_issuing_twice_returns_the_first_invoice_and_uses_one_number(buyer):
    order_id = checkout_for(buyer)
    first = _issue(buyer, order_id, 100)
    assert _issue(buyer, order_id, 999) == first
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get(series=SERIES_INVOICE).last == 1


def test_a_credit_note_cancels_the_invoice_line_by_line_and_references_it(buyer):
    invoice = _issue(buyer, checkout_for(buyer), 1005, 2000)
    note = invoice_cancel(invoice=invoice, reason="Order cancelled before production")
    assert note.kind == Invoice.Kind.CREDIT_NOTE
    assert note.credits == invoice
    assert note.number.startswith(f"{SERIES_CREDIT}-")
    assert (note.net_minor, note.vat_minor, note.gross_minor) == (-3005, -571, -3576)
    assert [line.vat_minor for line in note.lines.all()] == [-191, -380]
    assert invoice_cancel(invoice=invoice, reason="again") == note
    with pytest.raises(Conflict):
        invoice_cancel(invoice=note, reason="a credit note is not cancelled")


def test_an_order_placed_without_checkout_is_invoiced_to_the_organization(buyer):
    invoice = _issue(buyer, 4242, 500)
    assert invoice.buyer_name == "Acme Robotics"
    assert invoice.vat_minor == vat_of_line(500, 1900)


@DB_HYPOTHESIS
@given(
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    st.sampled_from(["DE", "FR", "AT", "US"]),
    st.booleans(),
)
def test_invoice_totals_are_the_sum_of_the_lines_plus_their_vat(buyer, minors, country, b2b):
    vat_ids = {"DE": "DE136695976", "FR": "FR40303265045", "AT": "ATU13585627", "US": ""}
    order_id = checkout_for(buyer, country=country, vat_id=vat_ids[country] if b2b else "")
    invoice = _issue(buyer, order_id, *minors)
    lines = list(invoice.lines.all())
    assert invoice.net_minor == sum(minors) == sum(line.net_minor for line in lines)
    assert invoice.vat_minor == sum(vat_of_line(line.net_minor, line.rate_bp) for line in lines)
    assert invoice.gross_minor == invoice.net_minor + invoice.vat_minor
    if country in ("FR", "AT") and b2b:
        assert invoice.vat_minor == 0
        assert invoice.mention == REVERSE_CHARGE_MENTION


@DB_HYPOTHESIS
@given(st.lists(st.sampled_from(["issue", "cancel"]), min_size=1, max_size=15))
def test_numbers_stay_gapless_under_any_sequence_of_issues_and_cancellations(buyer, steps):
    live: list[Invoice] = []
    for step in steps:
        if step == "issue" or not live:
            live.append(_issue(buyer, checkout_for(buyer), 1_000))
        else:
            invoice_cancel(invoice=live.pop(0), reason="cancelled")
    for series in (SERIES_INVOICE, SERIES_CREDIT):
        numbers = list(
            Invoice.objects.filter(series=series)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))
    credit_notes = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE)
    assert all(note.credits_id for note in credit_notes)
    assert credit_notes.count() == Invoice.objects.filter(credit_note__isnull=False).count()


def test_a_refund_credit_note_names_the_orders_vat_invoice(buyer):
    from billing.credit_notes import credited_invoice_number
    from billing.models import CreditNote

    invoice = _issue(buyer, checkout_for(buyer), 1000)
    without = CreditNote(order_id=invoice.order_id + 1, reference="CF-OLD")
    with_invoice = CreditNote(order_id=invoice.order_id, reference=invoice.reference)
    assert credited_invoice_number(note=with_invoice) == invoice.number
    assert credited_invoice_number(note=without) == "INV-CF-OLD"
