"""Collecting the VAT the invoice shows: payment = invoice total, VAT payable, VAT refunded."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.audit import money_audit, unbalanced_postings
from billing.credit_notes import credit_note_issue, credit_notes_issue_missing
from billing.errors import PaymentAmountMismatch
from billing.invoicing import invoice_issue, order_sale
from billing.models import CreditNote, Invoice, Payment
from billing.money import Money
from billing.payments import payment_cancel, refund_record_external
from billing.pdf import refund_credit_note_pdf
from billing.selectors import available_for_order, held_for_order
from billing.vat import vat_given_back, vat_of_line
from marketplace.orders.models import Order
from tests.billing.invoice_story import lines_of
from tests.billing.vat_story import sold_and_paid, vat_payable_for
from tests.factories import OrganizationFactory
from tests.helpers import pay_manually, place_quoted_order, quote_bracket_and_gear

DB_HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SELLER_RATE_BP = 1900  # the test settings' seller is in Germany


@pytest.fixture
def buyer():
    return OrganizationFactory(name="Acme Robotics", kind="customer")


def _expected_rate(country, vat_id) -> int:
    """The rule of docs/billing.md, written out independently of billing.vat."""
    if country in ("US", "CH"):
        return 0
    if country == "FR" and vat_id.startswith("FR"):
        return 0  # another member state, with a VAT ID of that state: reverse charge
    # An ID of another country than the buyer's (AT with FR…) is never reverse charge.
    return SELLER_RATE_BP


def _invoice(payment, buyer) -> Invoice:
    # Lines other than the sale's: the invoice must follow what the payment was priced on.
    return invoice_issue(
        order_id=payment.order_id,
        reference=payment.reference,
        buyer_organization=buyer,
        lines=lines_of(1),
        currency="EUR",
    )


# -- the share of VAT a refund gives back (pure) --------------------------------------------
@given(
    net_total=st.integers(1, 10**9),
    rate_bp=st.sampled_from([0, 700, 1900, 2000, 2550, 2700]),
    parts=st.lists(st.integers(1, 1000), max_size=8),
)
def test_refunds_give_back_the_vat_in_proportion_and_all_of_it_with_the_whole_net(
    net_total, rate_bp, parts
):
    vat_total = vat_of_line(net_total, rate_bp)
    net_back = vat_back = 0
    for per_mille in [*parts, 1000]:
        left = net_total - net_back
        net = left * per_mille // 1000 if per_mille < 1000 else left
        if net <= 0:
            continue
        vat = vat_given_back(
            net_total=net_total,
            vat_total=vat_total,
            net_back=net,
            net_back_before=net_back,
            vat_back_before=vat_back,
        )
        net_back, vat_back = net_back + net, vat_back + vat
        assert 0 <= vat_back <= vat_total
        # never more than one cent away from the exact proportion
        assert abs(vat_back * net_total - vat_total * net_back) <= net_total
    assert (net_back, vat_back) == (net_total, vat_total)


# -- random orders through the real services ------------------------------------------------
@pytest.mark.django_db
@DB_HYPOTHESIS
@given(
    country=st.sampled_from([None, "DE", "FR", "AT", "US", "CH"]),
    vat_id=st.sampled_from(["", "DE136695976", "FR40303265045"]),
    nets=st.lists(st.integers(1, 2_000_000), min_size=1, max_size=6),
    refunds=st.lists(st.integers(1, 1000), max_size=4),
    refund_the_rest=st.booleans(),
)
def test_the_payment_collects_the_invoice_total_and_refunds_give_its_vat_back(
    buyer, country, vat_id, nets, refunds, refund_the_rest
):
    vat_id = vat_id if country is not None else ""
    payment = sold_and_paid(buyer, lines_of(*nets), country=country, vat_id=vat_id)
    rate = _expected_rate(country, vat_id)
    assert payment.vat.minor == sum(vat_of_line(net, rate) for net in nets)
    assert payment.amount.minor == sum(nets) + payment.vat.minor

    invoice = _invoice(payment, buyer)
    assert invoice.gross == payment.amount
    assert invoice.vat == payment.vat
    assert [line.net_minor for line in invoice.lines.all()] == nets
    assert held_for_order(payment.order_id) == payment.net
    assert vat_payable_for(payment.order_id) == invoice.vat_minor

    per_mille = [*refunds, 1000] if refund_the_rest else refunds
    for part in per_mille:
        available = available_for_order(payment.order_id).minor
        net = available if part == 1000 else available * part // 1000
        if net <= 0:
            continue
        refund = services.payment_refund(payment=payment, amount=Money(net, "EUR"), reason="r")
        assert refund.status == "succeeded"
        assert refund.amount.minor == net + refund.vat.minor
        assert held_for_order(payment.order_id).minor >= 0
        credit_notes_issue_missing(customer=buyer, order_id=payment.order_id)
        credited = sum(
            CreditNote.objects.filter(order_id=payment.order_id).values_list("vat_minor", flat=True)
        )
        assert vat_payable_for(payment.order_id) == invoice.vat_minor - credited
    assert unbalanced_postings() == []
    (order_money,) = money_audit(facts={}, order_ids=[payment.order_id]).orders
    assert not order_money.vat_mismatch, order_money.problems
    assert order_money.paid_in == order_money.money_out + order_money.held
    if refund_the_rest:
        payment.refresh_from_db()
        assert vat_payable_for(payment.order_id) == 0
        assert held_for_order(payment.order_id).minor == 0
        assert payment.refundable.minor == 0


# -- the order paths ------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_order_placed_without_checkout_pays_the_domestic_vat_its_invoice_shows(
    small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    order = place_quoted_order(customer_alice)
    payment = Payment.objects.get(order_id=order.pk)
    assert payment.net.minor == order.price_minor
    assert payment.vat.minor > 0
    assert sum(line["net_minor"] for line in payment.sale_lines) == order.price_minor
    assert payment.vat.minor == sum(
        vat_of_line(line["net_minor"], SELLER_RATE_BP) for line in payment.sale_lines
    )
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(order_id=order.pk)
    assert invoice.treatment == "domestic"
    assert (invoice.gross, invoice.vat) == (payment.amount, payment.vat)
    assert held_for_order(order.pk).minor == order.price_minor
    assert vat_payable_for(order.pk) == invoice.vat_minor


@pytest.mark.django_db
def test_a_german_business_at_checkout_pays_net_plus_vat_and_gets_that_invoice(
    client, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    option = quote_bracket_and_gear(customer_alice).options.first()
    client.force_login(customer_alice)
    form = {
        "company_name": "Acme Robotics GmbH",
        "street": "Königstraße 1",
        "postcode": "70173",
        "city": "Stuttgart",
        "country": "DE",
        "vat_id": "DE136695976",
        "payment_method": "manual",
        "terms": "on",
    }
    response = client.post(reverse("order_checkout", args=[option.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    payment = Payment.objects.get(order_id=order.pk)
    assert payment.amount.minor > order.price_minor
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(order_id=order.pk)
    assert (invoice.treatment, invoice.gross, invoice.vat) == (
        "domestic",
        payment.amount,
        payment.vat,
    )
    assert invoice.vat.minor == sum(line.vat_minor for line in invoice.lines.all())


@pytest.mark.django_db
def test_the_review_shows_the_vat_and_the_total_the_payment_will_collect(
    client, small_network, customer_alice
):
    option = quote_bracket_and_gear(customer_alice).options.first()
    client.force_login(customer_alice)
    page = client.get(reverse("order_checkout", args=[option.pk])).content.decode()
    assert "VAT 19 % (buyers in DE" in page
    assert "Total with that VAT" in page


# -- refunds that return everything ---------------------------------------------------------
@pytest.mark.django_db
def test_a_payment_the_order_no_longer_wants_goes_back_with_all_its_vat(buyer):
    payment = sold_and_paid(buyer, lines_of(10_005, 2_000))
    payment = payment_cancel(payment=payment, reason="The order expired before it was paid.")
    assert payment.status == Payment.Status.REFUNDED
    (refund,) = payment.refunds.all()
    assert (refund.amount, refund.vat) == (payment.amount, payment.vat)
    assert vat_payable_for(payment.order_id) == 0
    assert held_for_order(payment.order_id).minor == 0


@pytest.mark.django_db
def test_a_refund_made_at_the_provider_is_split_into_net_and_vat(buyer):
    payment = sold_and_paid(buyer, lines_of(10_000))  # 100.00 + 19.00 VAT
    part = refund_record_external(
        payment=payment, provider_refund_id="re_1", amount=Money(5_950, "EUR")
    )
    assert (part.net.minor, part.vat.minor) == (5_000, 950)
    rest = refund_record_external(
        payment=payment, provider_refund_id="re_2", amount=Money(5_950, "EUR")
    )
    assert rest.vat.minor == 950
    assert vat_payable_for(payment.order_id) == 0
    assert held_for_order(payment.order_id).minor == 0


@pytest.mark.django_db
def test_the_refund_credit_note_shows_the_vat_it_reverses(buyer):
    payment = sold_and_paid(buyer, lines_of(10_000))
    _invoice(payment, buyer)
    refund = services.payment_refund(payment=payment, amount=Money(2_500, "EUR"), reason="Late")
    note = credit_note_issue(refund=refund)
    assert (note.amount.minor, note.vat.minor) == (2_975, 475)
    pdf = refund_credit_note_pdf(note, compress=False)
    for text in (b"VAT reversed", b"4.75 EUR", b"29.75 EUR", b"25.00 EUR"):
        assert text in pdf, text


# -- refusals and the audit -----------------------------------------------------------------
@pytest.mark.django_db
def test_a_payment_for_another_amount_than_its_sale_is_refused_and_nothing_is_written(buyer):
    sale = order_sale(order_id=1, buyer_organization=buyer, lines=lines_of(10_000), currency="EUR")
    with pytest.raises(PaymentAmountMismatch, match=r"with its VAT is 119\.00 EUR"):
        services.payment_start(
            order_id=1,
            reference="CF-1",
            amount=sale.net,
            payer=buyer,
            customer_email="",
            provider="manual",
            sale=sale,
        )
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_the_audit_lists_an_invoice_whose_vat_the_payment_did_not_collect(buyer):
    payment, _ = services.payment_start(
        order_id=77,
        reference="CF-77",
        amount=Money(10_000, "EUR"),
        payer=buyer,
        customer_email="",
        provider="manual",
    )  # opened for the net only, as before VAT was collected
    services.payment_confirm(payment=payment, amount=payment.amount, provider_reference="b")
    invoice_issue(
        order_id=77,
        reference="CF-77",
        buyer_organization=buyer,
        lines=lines_of(10_000),
        currency="EUR",
    )
    (order_money,) = money_audit(facts={}, order_ids=[77]).orders
    assert order_money.vat_mismatch
    assert "VAT owed 0.00 EUR, invoiced less credited 19.00 EUR" in order_money.problems
    assert money_audit(facts={}, order_ids=[77]).counts()["orders_vat_mismatch"] == 1
