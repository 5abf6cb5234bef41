"""The operators' documents page: every invoice and credit note, filtered and paginated."""

import pytest
from django.urls import reverse

from billing.documents import PAGE_SIZE
from billing.invoicing import invoice_cancel, invoice_issue
from tests.billing.invoice_story import checkout_for, lines_of, pdf_text
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _invoice(buyer, po_number="PO-1"):
    order_id = checkout_for(buyer, po_number=po_number)
    return invoice_issue(
        order_id=order_id,
        reference=f"CF-2026-{order_id:05d}",
        buyer_organization=buyer,
        lines=lines_of(1000),
        currency="EUR",
    )


@pytest.fixture
def operator(client, operator_olga):
    client.force_login(operator_olga)
    return client


def test_only_operators_see_the_documents_page(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get(reverse("billing_documents")).status_code == 403


def test_operators_filter_by_kind_and_search_and_download_any_document(operator):
    acme, zeta = OrganizationFactory(name="Acme"), OrganizationFactory(name="Zeta")
    acme_invoice = _invoice(acme, po_number="PO-ACME-7")
    zeta_invoice = _invoice(zeta)
    note = invoice_cancel(invoice=zeta_invoice, reason="Cancelled by the customer")
    url = reverse("billing_documents")
    page = operator.get(url, {"q": "acme-7"}).content.decode()
    assert acme_invoice.number in page
    assert zeta_invoice.number not in page
    page = operator.get(url, {"kind": "credit_note"}).content.decode()
    assert note.number in page
    assert acme_invoice.number not in page
    download = operator.get(reverse("billing_invoice_pdf", args=[note.pk]))
    text = pdf_text(download.content)
    assert "Credit note" in text
    assert zeta_invoice.number in text  # the invoice it cancels


def test_the_list_is_paginated(operator):
    buyer = OrganizationFactory()
    issued = [_invoice(buyer) for _ in range(PAGE_SIZE + 1)]
    first = operator.get(reverse("billing_documents")).content.decode()
    second = operator.get(reverse("billing_documents"), {"page": 2}).content.decode()
    assert issued[-1].number in first  # newest first
    assert issued[0].number not in first
    assert issued[0].number in second


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "nonsense", "year": "20x6", "page": "-1"},
        {"q": "x" * 3, "year": "99999"},
        {"kind": "refund", "page": "abc"},
    ],
)
def test_odd_filters_never_break_the_page(operator, query):
    assert operator.get(reverse("billing_documents"), query).status_code == 200


def test_a_nul_character_in_the_filters_is_refused_before_any_lookup(operator):
    """NUL characters are refused by config.nul_bytes for every page (PostgreSQL raises)."""
    response = operator.get(reverse("billing_documents"), {"q": "\x00" * 3, "year": "99999"})
    assert response.status_code == 400
