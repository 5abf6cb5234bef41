"""The VAT return: periods, rows per issuer/currency/country/rate/treatment, the EU sales list,
the check against the ledger's VAT payable, the page, the CSV and the API."""

import csv
import io
from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.credit_notes import credit_notes_issue_missing
from billing.errors import Conflict
from billing.invoicing import invoice_issue
from billing.models import CreditNote, Invoice, Refund
from billing.money import Money
from billing.selectors import available_for_order
from billing.vat_return import InvalidVatPeriod, LedgerCheck, vat_period_parse, vat_return
from tests.billing.invoice_story import lines_of
from tests.billing.vat_story import sold_and_paid, vat_payable_for
from tests.factories import OrganizationFactory
from tests.helpers import api_client_for, error_of

FRENCH_VAT_ID = "FR40303265045"
AUSTRIAN_VAT_ID = "ATU13585627"


@pytest.fixture
def buyer(db):
    return OrganizationFactory(name="Acme Robotics", kind="customer")


def _this_month():
    return vat_period_parse(f"{timezone.localdate():%Y-%m}")


def _sold(buyer, nets, *, country="DE", vat_id="", invoiced=True):
    payment = sold_and_paid(buyer, lines_of(*nets), country=country, vat_id=vat_id)
    invoice = None
    if invoiced:
        invoice = invoice_issue(
            order_id=payment.order_id,
            reference=payment.reference,
            buyer_organization=buyer,
            lines=lines_of(*nets),
            currency="EUR",
        )
    return payment, invoice


def _refund(payment, net):
    return services.payment_refund(payment=payment, amount=Money(net, "EUR"), reason="Rebate")


# -- periods --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-q4", date(2026, 10, 1), date(2027, 1, 1)),
        (" 2027-Q1 ", date(2027, 1, 1), date(2027, 4, 1)),
    ],
)
def test_a_period_is_a_month_or_a_quarter(text, start, end):
    period = vat_period_parse(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-00", "2026-Q5", "26-11", "x" * 500])
def test_anything_else_is_refused_with_an_example(text):
    with pytest.raises(InvalidVatPeriod, match="like 2026-11"):
        vat_period_parse(text)


@given(year=st.integers(2000, 2998))
def test_the_months_and_the_quarters_tile_the_year(year):
    months = [vat_period_parse(f"{year}-{m:02d}") for m in range(1, 13)]
    quarters = [vat_period_parse(f"{year}-Q{q}") for q in range(1, 5)]
    for periods in (months, quarters):
        assert periods[0].start == date(year, 1, 1)
        assert periods[-1].end == date(year + 1, 1, 1)
        assert all(a.end == b.start for a, b in pairwise(periods))
    assert [q.start for q in quarters] == [months[i].start for i in (0, 3, 6, 9)]


# -- the return -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_return_groups_by_treatment_and_rate_and_lists_eu_sales_per_vat_id(buyer):
    _domestic, domestic_invoice = _sold(buyer, [10_000, 5_000])
    french, french_invoice = _sold(buyer, [20_000], country="FR", vat_id=FRENCH_VAT_ID)
    _sold(buyer, [7_000], country="AT", vat_id=AUSTRIAN_VAT_ID)
    _sold(buyer, [3_000], country="US")
    _sold(buyer, [1_000], country="FR")  # no VAT ID: German VAT
    _refund(french, 5_000)
    credit_notes_issue_missing(customer=buyer)

    report = vat_return(period=_this_month())

    rows = {(row.country, row.rate_bp, row.treatment): row for row in report.rows}
    assert set(rows) == {
        ("DE", 1900, "domestic"),
        ("FR", 0, "reverse_charge"),
        ("AT", 0, "reverse_charge"),
        ("US", 0, "export"),
        ("FR", 1900, "intra_eu_b2c"),
    }
    domestic = rows[("DE", 1900, "domestic")]
    assert (domestic.net_minor, domestic.vat_minor) == (15_000, domestic_invoice.vat_minor)
    assert domestic.vat_minor == 1_900 + 950
    assert (
        rows[("FR", 0, "reverse_charge")].net_minor,
        rows[("FR", 0, "reverse_charge")].documents,
    ) == (
        15_000,
        2,
    )
    assert rows[("FR", 1900, "intra_eu_b2c")].vat_minor == 190
    sales = {sale.vat_id: sale.net_minor for sale in report.eu_sales}
    assert sales == {FRENCH_VAT_ID: 15_000, AUSTRIAN_VAT_ID: 7_000}
    (check,) = report.checks
    assert check.agrees
    assert check.documents_vat_minor == 1_900 + 950 + 190
    assert report.differences == []
    refund_note = CreditNote.objects.get(order_id=french.order_id)
    assert refund_note.number in [document.number for document in report.documents]
    assert french_invoice.number in [document.number for document in report.documents]


@pytest.mark.django_db
def test_a_cancelled_invoice_whose_money_stayed_shows_as_a_discrepancy_of_its_order(buyer):
    _payment, invoice = _sold(buyer, [10_000])
    _sold(buyer, [4_000])
    services.invoice_cancel(invoice=invoice, reason="Wrong buyer name")
    report = vat_return(period=_this_month())
    (check,) = report.checks
    assert (check.documents_vat_minor, check.ledger_vat_minor) == (760, 1_900 + 760)
    assert check.difference_minor == -1_900
    assert not report.agrees
    (difference,) = report.differences
    assert (difference.reference, difference.difference_minor) == (invoice.reference, -1_900)


@pytest.mark.django_db
def test_an_invoice_refunded_in_full_cannot_also_be_cancelled(buyer):
    """Before: the cancellation credited the VAT the refund's credit note had already taken
    back, and the return declared the order's VAT negative."""
    payment, invoice = _sold(buyer, [10_000])
    _refund(payment, 10_000)
    with pytest.raises(Conflict, match="credit that VAT twice"):
        services.invoice_cancel(invoice=invoice, reason="Order cancelled")
    assert not Invoice.objects.filter(credits=invoice).exists()
    (check,) = vat_return(period=_this_month()).checks
    assert (check.documents_vat_minor, check.ledger_vat_minor) == (0, 0)


@pytest.mark.django_db
def test_a_refund_after_its_invoice_was_cancelled_credits_nothing_more(buyer):
    payment, invoice = _sold(buyer, [10_000])
    services.invoice_cancel(invoice=invoice, reason="Wrong buyer name")
    _refund(payment, 10_000)
    report = vat_return(period=_this_month())
    assert [document.kind for document in report.documents] == ["invoice", "cancellation"]
    (check,) = report.checks
    assert (check.documents_vat_minor, check.ledger_vat_minor) == (0, 0)
    assert report.agrees


@pytest.mark.django_db
def test_a_payment_not_invoiced_yet_shows_as_a_discrepancy_named_by_its_order(buyer):
    payment, _ = _sold(buyer, [10_000], invoiced=False)
    report = vat_return(period=_this_month())
    (difference,) = report.differences
    assert (difference.reference, difference.ledger_vat_minor) == (payment.reference, 1_900)
    # A refund of all of it (money that came for an expired order) leaves nothing to declare.
    _refund(payment, available_for_order(payment.order_id).minor)
    report = vat_return(period=_this_month())
    assert report.agrees
    assert report.rows == []


@pytest.mark.django_db
def test_documents_and_money_of_another_month_stay_out(buyer):
    with time_machine.travel(datetime(2026, 10, 30, 12, tzinfo=UTC), tick=False):
        october, _ = _sold(buyer, [10_000])
    with time_machine.travel(datetime(2026, 11, 2, 12, tzinfo=UTC), tick=False):
        _refund(october, 2_000)
        _sold(buyer, [4_000])
    november = vat_return(period=vat_period_parse("2026-11"))
    (check,) = november.checks
    assert check.agrees
    assert check.documents_vat_minor == 760 - 380
    assert {document.kind for document in november.documents} == {"invoice", "refund"}
    (october_check,) = vat_return(period=vat_period_parse("2026-10")).checks
    assert october_check.documents_vat_minor == october_check.ledger_vat_minor == 1_900
    quarter = vat_return(period=vat_period_parse("2026-Q4"))
    assert quarter.checks[0].documents_vat_minor == 1_900 + 760 - 380
    assert quarter.agrees


@pytest.mark.django_db
def test_the_return_reads_in_a_fixed_number_of_queries(buyer, django_assert_max_num_queries):
    for n in range(6):
        payment, _ = _sold(buyer, [1_000 + n, 2_000], country=["DE", "FR"][n % 2])
        _refund(payment, 500)
    with django_assert_max_num_queries(8):
        report = vat_return(period=_this_month())
    assert len(report.documents) == 12


def _euros(report):
    """The report's check of EUR; zeros when nothing moved."""
    return next(
        (check for check in report.checks if check.currency == "EUR"), LedgerCheck("EUR", 0, 0, 0)
    )


# -- random invoices, refunds and cancellations ---------------------------------------------
ORDER = st.fixed_dictionaries(
    {
        "buyer": st.sampled_from(
            [("DE", ""), ("FR", FRENCH_VAT_ID), ("AT", AUSTRIAN_VAT_ID), ("FR", ""), ("US", "")]
        ),
        "nets": st.lists(st.integers(1, 2_000_000), min_size=1, max_size=4),
        "invoiced": st.booleans(),
        "refunds": st.lists(st.integers(1, 1000), max_size=3),
        "cancelled": st.sampled_from(["no", "before the refunds", "after the refunds"]),
    }
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders=st.lists(ORDER, min_size=1, max_size=4))
def test_the_return_adds_up_to_its_documents_and_to_the_ledger(buyer, orders):
    """Totals = the sums of the documents; documents - ledger = exactly the cancellations'
    VAT and the VAT of payments not invoiced, order by order."""
    before = vat_return(period=_this_month())
    expected_gap: dict[int, int] = {}
    order_ids = []
    for order in orders:
        country, vat_id = order["buyer"]
        payment, invoice = _sold(
            buyer, order["nets"], country=country, vat_id=vat_id, invoiced=order["invoiced"]
        )
        order_ids.append(payment.order_id)
        if invoice is not None and order["cancelled"] == "before the refunds":
            services.invoice_cancel(invoice=invoice, reason="Cancelled")
        refunded = False
        for part in order["refunds"]:
            net = available_for_order(payment.order_id).minor * part // 1000
            if net > 0:
                _refund(payment, net)
                refunded = True
        if invoice is None or order["cancelled"] == "before the refunds":
            # Nothing invoiced stands: all the VAT the ledger kept is undocumented.
            expected_gap[payment.order_id] = -vat_payable_for(payment.order_id)
        elif order["cancelled"] == "after the refunds":
            if refunded:  # the refunds' credit notes corrected it: cancelling is refused
                with pytest.raises(Conflict, match="credit that VAT twice"):
                    services.invoice_cancel(invoice=invoice, reason="Cancelled")
            else:
                services.invoice_cancel(invoice=invoice, reason="Cancelled")
                expected_gap[payment.order_id] = -invoice.vat_minor
    report = vat_return(period=_this_month())
    mine = [document for document in report.documents if document.order_id in order_ids]

    invoices = Invoice.objects.filter(order_id__in=order_ids)
    invoiced_ids = {
        order_id
        for order_id, order in zip(order_ids, orders, strict=True)
        if order["invoiced"] and order["cancelled"] != "before the refunds"
    }
    refunds = Refund.objects.filter(payment__order_id__in=invoiced_ids, status="succeeded")
    reverse_charge = set(
        invoices.filter(treatment="reverse_charge").values_list("order_id", flat=True)
    )
    # The documents, summed from the tables rather than from the report.
    document_vat = sum(invoices.values_list("vat_minor", flat=True)) - sum(
        refund.vat_minor for refund in refunds
    )
    document_net = sum(invoices.values_list("net_minor", flat=True)) - sum(
        refund.amount_minor - refund.vat_minor for refund in refunds
    )
    eu_net = sum(
        invoices.filter(order_id__in=reverse_charge).values_list("net_minor", flat=True)
    ) - sum(
        refund.amount_minor - refund.vat_minor
        for refund in refunds.filter(payment__order_id__in=reverse_charge)
    )
    assert sum(document.vat_minor for document in mine) == document_vat
    assert sum(document.net_minor for document in mine) == document_net
    new_vat = sum(row.vat_minor for row in report.rows) - sum(row.vat_minor for row in before.rows)
    new_net = sum(row.net_minor for row in report.rows) - sum(row.net_minor for row in before.rows)
    assert (new_net, new_vat) == (document_net, document_vat)
    eu = sum(sale.net_minor for sale in report.eu_sales) - sum(
        sale.net_minor for sale in before.eu_sales
    )
    assert eu == eu_net

    ledger = sum(vat_payable_for(order_id) for order_id in order_ids)
    check, check_before = _euros(report), _euros(before)
    assert check.ledger_vat_minor - check_before.ledger_vat_minor == ledger
    assert check.documents_vat_minor - check_before.documents_vat_minor == document_vat
    assert document_vat - ledger == sum(expected_gap.values())
    found = {
        difference.order_id: difference.difference_minor
        for difference in report.differences
        if difference.order_id in order_ids
    }
    assert found == {order_id: gap for order_id, gap in expected_gap.items() if gap}


# -- page, CSV, API -------------------------------------------------------------------------
@pytest.mark.django_db
def test_only_operators_see_the_return(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get(reverse("billing_vat_return")).status_code == 403
    assert client.get(reverse("billing_vat_return_csv")).status_code == 403
    response = api_client_for(customer_alice).get("/api/v1/billing/vat-return/?period=2026-11")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.django_db
def test_the_page_shows_the_return_its_discrepancy_and_the_csv(client, operator_olga, buyer):
    client.force_login(operator_olga)
    empty = client.get(reverse("billing_vat_return")).content.decode()
    assert "No VAT document and no VAT movement in this period." in empty
    _sold(buyer, [10_000], country="FR", vat_id=FRENCH_VAT_ID)
    _payment, invoice = _sold(buyer, [10_000])
    services.invoice_cancel(invoice=invoice, reason="Wrong buyer")
    period = _this_month().key
    page = client.get(reverse("billing_vat_return"), {"period": period}).content.decode()
    assert 'data-testid="vat-discrepancy"' in page
    assert invoice.reference in page
    assert FRENCH_VAT_ID in page
    assert "Reverse charge (EU business)" in page

    download = client.get(reverse("billing_vat_return_csv"), {"period": period})
    assert download["Content-Disposition"] == f'attachment; filename="vat-return-{period}.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    sections = {row[0] for row in rows if row}
    assert {"return", "eu_sales_list", "ledger_check", "order_difference", "document"} <= sections
    assert ["eu_sales_list", "platform", "EUR", "FR", FRENCH_VAT_ID, "100.00", "1"] in rows
    assert ["ledger_check", "EUR", "100.00", "0.00", "19.00", "-19.00"] in rows

    bad = client.get(reverse("billing_vat_return"), {"period": "2026-13"})
    assert bad.status_code == 400
    assert "like 2026-11" in bad.content.decode()
    assert client.get(reverse("billing_vat_return_csv"), {"period": "nope"}).status_code == 400


@pytest.mark.django_db
def test_the_api_returns_the_return_and_refuses_a_bad_period(operator_olga, buyer):
    _sold(buyer, [10_000], country="AT", vat_id=AUSTRIAN_VAT_ID)
    api = api_client_for(operator_olga)
    body = api.get("/api/v1/billing/vat-return/", {"period": _this_month().key}).json()
    assert body["agrees"] is True
    assert body["eu_sales"] == [
        {
            "issuer": "platform",
            "currency": "EUR",
            "country": "AT",
            "vat_id": AUSTRIAN_VAT_ID,
            "net_minor": 10_000,
            "documents": 1,
        }
    ]
    assert body["rows"][0]["treatment"] == "reverse_charge"
    bad = api.get("/api/v1/billing/vat-return/", {"period": "2026-Q5"})
    assert bad.status_code == 400
    assert error_of(bad)["code"] == "invalid_period"
    assert api.get("/api/v1/billing/vat-return/").status_code == 400
