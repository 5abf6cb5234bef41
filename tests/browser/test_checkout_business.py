"""A business checks out in the browser: reviews the order, gives a billing address, a VAT ID
(a bad one is refused with a message), a PO number, downloads the proforma, pays by bank
transfer (confirmed by an operator, as in the order story) and downloads the VAT invoice."""

import pytest

from billing.models import Invoice
from marketplace.orders.models import Order
from tests.billing.invoice_story import pdf_text
from tests.browser.helpers import answer_second_factor, screenshot
from tests.helpers import quote_bracket_and_gear

PASSWORD = "correct-horse-battery-staple"


def _console_problem(message) -> bool:
    """An error in the console, except the two this story causes on purpose or cannot help:
    the 400 answering the refused VAT ID (bad input is a 4xx with a message), and the
    browser's own request for /favicon.ico, which the site does not serve."""
    url = message.location.get("url", "")
    expected = ("status of 400" in message.text and url.endswith("/checkout/")) or url.endswith(
        "/favicon.ico"
    )
    return message.type == "error" and not expected


def _login(browser, live_site, email, problems):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: _console_problem(m) and problems.append(f"{email}: {m.text}"))
    # A download ends its request as "aborted" in Chromium: that one is no failure.
    page.on(
        "requestfailed",
        lambda r: (
            r.failure != "net::ERR_ABORTED"
            and problems.append(f"{email}: failed {r.url} {r.failure}")
        ),
    )
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    answer_second_factor(page, email)
    return page


@pytest.fixture
def quote(transactional_db, small_network, customer_alice, operator_olga):
    """Quoted before the browser starts: the matcher publishes live events, which Playwright's
    running event loop would refuse."""
    return quote_bracket_and_gear(customer_alice)


def test_a_business_checks_out_with_vat_id_and_po_and_gets_its_invoice(quote, chromium, live_site):
    problems: list[str] = []
    customer = _login(chromium, live_site, "alice@example.com", problems)
    customer.goto(f"/quotes/{quote.pk}/")
    customer.locator("[data-testid=checkout]").first.click()
    customer.wait_for_selector("[data-testid=checkout-lines]")
    assert "Platform fee" in customer.inner_text("[data-testid=checkout-lines]")

    customer.fill("input[name=company_name]", "Acme Robotique SAS")
    customer.fill("input[name=street]", "Rue de Rivoli 1")
    customer.fill("input[name=postcode]", "75001")
    customer.fill("input[name=city]", "Paris")
    customer.select_option("select[name=country]", "FR")
    customer.fill("input[name=vat_id]", "FR40303265046")  # one check digit off
    customer.fill("input[name=po_number]", "PO-2026-118")
    customer.check("input[name=terms]")
    customer.click("button:has-text('Place the order and pay')")
    error = customer.wait_for_selector("[data-testid=vat-error]")
    assert "not a valid EU VAT ID" in error.inner_text()
    assert not Order.objects.exists()
    screenshot(customer, "checkout-vat-refused")

    customer.fill("input[name=vat_id]", "FR 40 303 265 045")
    customer.check("input[name=terms]")
    with customer.expect_download() as proforma:
        customer.click("button:has-text('Download a proforma invoice')")
    text = pdf_text(open(proforma.value.path(), "rb").read())  # noqa: SIM115
    assert "Proforma invoice" in text
    assert "FR40303265045" in text
    assert "Reverse charge" in text
    screenshot(customer, "checkout-review")
    customer.check("input[name=terms]")
    customer.click("button:has-text('Place the order and pay')")
    customer.wait_for_selector("[data-testid=payment-reference]")
    order = Order.objects.get()
    assert order.status == "placed"

    operator = _login(chromium, live_site, "olga@example.com", problems)
    operator.click("#payments button:has-text('Confirm receipt')")
    operator.wait_for_selector("text=confirmed")
    invoice = Invoice.objects.get(order_id=order.pk)
    assert invoice.po_number == "PO-2026-118"
    assert invoice.vat_minor == 0

    customer.goto(f"/orders/{order.pk}/")
    documents = customer.wait_for_selector("[data-testid=order-documents]")
    assert invoice.number in documents.inner_text()
    with customer.expect_download() as download:
        customer.click(f"[data-testid=order-documents] a:has-text('{invoice.number}')")
    text = pdf_text(open(download.value.path(), "rb").read())  # noqa: SIM115
    for expected in (invoice.number, "Acme Robotique SAS", "FR40303265045", "PO-2026-118"):
        assert expected in text, expected
    screenshot(customer, "checkout-order-with-invoice")

    operator.goto(f"/billing/documents/?q={invoice.number}")
    assert invoice.number in operator.inner_text("[data-testid=documents]")
    assert not problems, "\n".join(problems)
