"""A business sets its billing profile in the browser (a VAT ID of another country is refused
beside the field), checkout starts from it, and the operator reads the month's VAT return with
the order in the EU sales list."""

from billing.models import Invoice
from marketplace.orders.models import Order
from tests.browser.helpers import screenshot, signed_in_page

# The VAT ID this story gives wrong on purpose is refused with a 400 here.
REFUSED_AT = "/settings/billing/"


def test_the_profile_fills_the_checkout_and_the_sale_reaches_the_vat_return(
    alices_quote, chromium, live_site
):
    problems: list[str] = []
    customer = signed_in_page(
        chromium, live_site, "alice@example.com", problems, refused_at=REFUSED_AT
    )
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

    customer.goto(f"/quotes/{alices_quote.pk}/")
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

    operator = signed_in_page(
        chromium, live_site, "olga@example.com", problems, refused_at=REFUSED_AT
    )
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
