"""Invoices and credit notes as PDF: read back from uncompressed page streams."""

import pytest

from billing.pdf import credit_note_pdf, invoice_pdf
from billing.statements import order_statement
from tests.billing.helpers import org

pytestmark = pytest.mark.django_db


def test_the_invoice_lists_every_step_and_leg_the_fee_and_the_total(released, customer_alice):
    statement = order_statement(organization=org(customer_alice), order_id=released.order_id)
    pdf = invoice_pdf(statement, compress=False)
    assert pdf.startswith(b"%PDF")
    for text in (
        b"Invoice",
        f"INV-{released.reference}".encode(),
        b"CNC milling at Bob",
        b"Anodizing at Charlie",
        b"leg Stuttgart to Munich",
        b"Platform fee",
        b"20.00 EUR",
        b"141.05 EUR",  # Bob: 120.00 + 21.05 of the 40.00 margin
        b"310.00 EUR",
        b"Prices exclude VAT.",
    ):
        assert text in pdf, text
    assert invoice_pdf(statement, compress=False) == pdf  # invariant output
    assert invoice_pdf(statement).startswith(b"%PDF")


def test_each_party_gets_a_credit_note_of_what_it_is_paid(released, workshop_charlie):
    statement = order_statement(organization=org(workshop_charlie), order_id=released.order_id)
    pdf = credit_note_pdf(statement, organization_id=org(workshop_charlie).pk, compress=False)
    assert pdf.startswith(b"%PDF")
    for text in (
        rb"Credit note \(self-billing\)",  # parentheses are escaped in PDF strings
        f"CN-{released.reference}-{org(workshop_charlie).pk}".encode(),
        b"Anodizing at Charlie",
        b"114.74 EUR",
        b"34.21 EUR",
        b"148.95 EUR",  # 114.74 + 34.21
        b"Pending",
        b"Prices exclude VAT.",
    ):
        assert text in pdf, text
    assert b"CNC milling at Bob" not in pdf


def test_invoices_are_for_customers_and_credit_notes_for_parties(
    released, customer_alice, workshop_bob
):
    customer = order_statement(organization=org(customer_alice), order_id=released.order_id)
    party = order_statement(organization=org(workshop_bob), order_id=released.order_id)
    with pytest.raises(ValueError, match="invoice"):
        credit_note_pdf(customer, organization_id=1)
    with pytest.raises(ValueError, match="customer"):
        invoice_pdf(party)
