"""Invoices issued at the same moment on the real PostgreSQL: numbers gap-less per issuer."""

import pytest
from django.utils import timezone

from billing.invoicing import SERIES_CREDIT, SERIES_INVOICE, invoice_cancel, invoice_issue
from billing.models import Invoice, InvoiceCounter
from tests.billing.invoice_story import lines_of
from tests.factories import OrganizationFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _issue(buyer, order_id):
    return lambda: invoice_issue(
        order_id=order_id,
        reference=f"CF-2026-{order_id:05d}",
        buyer_organization=buyer,
        lines=lines_of(1005, 2000),
        currency="EUR",
    )


def test_invoices_issued_at_once_get_distinct_consecutive_numbers(postgres):
    buyer = OrganizationFactory()

    outcomes = in_parallel(*[_issue(buyer, 500 + n) for n in range(THREADS)])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    year = timezone.now().year
    assert sorted(invoice.number for invoice in outcomes) == [
        f"{SERIES_INVOICE}-{year}-{n:06d}" for n in range(1, THREADS + 1)
    ]
    assert InvoiceCounter.objects.get(series=SERIES_INVOICE, year=year).last == THREADS


def test_one_order_invoiced_by_many_at_once_gets_one_invoice_and_no_gap(postgres):
    buyer = OrganizationFactory()

    outcomes = in_parallel(*[_issue(buyer, 77) for _ in range(THREADS)])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({invoice.pk for invoice in outcomes}) == 1
    assert Invoice.objects.count() == 1
    # The losers gave their number back: the next invoice is number 2, not THREADS + 1.
    assert _issue(buyer, 78)().sequence == 2


def test_cancellations_at_once_number_their_credit_notes_without_gaps(postgres):
    buyer = OrganizationFactory()
    invoices = [_issue(buyer, 900 + n)() for n in range(THREADS)]
    cancel_calls = [
        lambda invoice=invoice: invoice_cancel(invoice=invoice, reason="cancelled")
        for invoice in invoices
    ]
    # Each invoice cancelled twice at once: one credit note each.
    outcomes = in_parallel(*cancel_calls, *cancel_calls)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    sequences = sorted(
        Invoice.objects.filter(series=SERIES_CREDIT).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, THREADS + 1))
