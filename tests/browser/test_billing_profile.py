"""A business sets its billing profile in the browser (a VAT ID of another country is refused
beside the field), checkout starts from it, and the operator reads the month's VAT return with
the order in the EU sales list."""

import pytest

from billing.models import Invoice
from marketplace.orders.models import Order
from tests.browser.helpers import answer_second_factor, screenshot
from tests.helpers import quote_bracket_and_gear

PASSWORD = "correct-horse-battery-staple"


def _console_problem(message) -> bool:
    """An error in the console, except the 400 answering the refused VAT ID (bad input is a
    4xx with a message) and the browser's own request for /favicon.ico."""
    url = message.location.get("url", "")
    expected = ("status of 400" in message.text and url.endswith("/settings/billing/")) or (
        url.endswith("/favicon.ico")
    )
    return message.type == "error" and not expected


def _login(browser, live_site, email, problems):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: _console_problem(m) and problems.append(f"{email}: {m.text}"))
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
    """Quoted before the browser starts (the matcher publishes live events)."""
    return quote_bracket_and_gear(customer_alice)


def test_the_profile_fills_the_checkout_and_the_sale_reaches_the_vat_return(
    quote, chromium, live_site
):
    problems: list[str] = []
    customer = _login(chromium, live_site, "alice@example.com", problems)
    customer.goto("/settings/billing/")
    customer.wait_for_selector("[data-testid=billing-profile-empty]")
    customer.fill("input[name=legal_name]", "Acme Robotique SAS")
    customer.fill("input[name=street]", "1 rue de Rivoli")
    customer.fill("input[name=postcode]", "75001")
    customer.fill("input[name=city]", "Paris")
    customer.select_option("select[name=country]", "FR")
    customer.fill("input[name=vat_id]", "DE136695976")  # valid, but German
    customer.click("button:has-text('Save the billing profile')")
    refused = customer.wait_for_selector("text=is a VAT ID of Germany, not of France")
    assert refused.is_visible()
    screenshot(customer, "billing-profile-refused")
    customer.fill("input[name=vat_id]", "FR 40 303 265 045")
    customer.click("button:has-text('Save the billing profile')")
    current = customer.wait_for_selector("[data-testid=billing-profile-current]")
    assert "VAT ID FR40303265045" in current.inner_text()
    screenshot(customer, "billing-profile-saved")

    customer.goto(f"/quotes/{quote.pk}/")
    customer.locator("[data-testid=checkout]").first.click()
    customer.wait_for_selector("[data-testid=checkout-from-profile]")
    assert customer.input_value("input[name=company_name]") == "Acme Robotique SAS"
    assert customer.input_value("input[name=vat_id]") == "FR40303265045"
    assert customer.input_value("select[name=country]") == "FR"
    screenshot(customer, "checkout-from-profile")
    customer.check("input[name=terms]")
    customer.click("button:has-text('Place the order and pay')")
    customer.wait_for_selector("[data-testid=payment-reference]")
    order = Order.objects.get()

    operator = _login(chromium, live_site, "olga@example.com", problems)
    operator.click("#payments button:has-text('Confirm receipt')")
    operator.wait_for_selector("text=confirmed")
    invoice = Invoice.objects.get(order_id=order.pk)
    assert (invoice.treatment, invoice.vat_minor) == ("reverse_charge", 0)

    operator.goto("/billing/vat-return/")
    operator.wait_for_selector("[data-testid=vat-agrees]")
    assert "FR40303265045" in operator.inner_text("[data-testid=vat-eu-sales]")
    assert invoice.number in operator.inner_text("[data-testid=vat-documents]")
    assert "Reverse charge (EU business)" in operator.inner_text("[data-testid=vat-rows]")
    screenshot(operator, "vat-return")
    with operator.expect_download() as download:
        operator.click("[data-testid=vat-csv]")
    content = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    assert "eu_sales_list,platform,EUR,FR,FR40303265045" in content
    assert not problems, "\n".join(problems)
