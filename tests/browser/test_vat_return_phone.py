"""The VAT return on a phone and a small tablet: its wide tables scroll inside their own box
(``.table-scroll``), so the ledger check's difference column can be reached, and the page is
no wider than the screen."""

import pytest

from billing import services
from billing.invoicing import invoice_issue
from tests.billing.invoice_story import lines_of
from tests.billing.vat_story import sold_and_paid
from tests.browser.helpers import answer_second_factor, screenshot
from tests.browser.phone_story import PHONE
from tests.factories import OrganizationFactory

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def discrepancy(transactional_db, operator_olga):
    """An invoice cancelled although its money stayed: the documents and the ledger disagree."""
    buyer = OrganizationFactory(name="Acme Robotics", kind="customer")
    payment = sold_and_paid(buyer, lines_of(10_000), country="DE")
    invoice = invoice_issue(
        order_id=payment.order_id,
        reference=payment.reference,
        buyer_organization=buyer,
        lines=lines_of(10_000),
        currency="EUR",
    )
    services.invoice_cancel(invoice=invoice, reason="Wrong buyer")
    return invoice


def test_the_vat_return_tables_scroll_on_a_phone(discrepancy, chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "olga@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    answer_second_factor(page, "olga@example.com")
    page.goto("/billing/vat-return/")
    difference = page.locator("[data-testid=vat-discrepancy]")
    assert difference.inner_text().startswith("-")
    screenshot(page, "vat-return-phone")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    difference.scroll_into_view_if_needed()
    where = difference.bounding_box()
    assert where["x"] >= 0
    assert where["x"] + where["width"] <= PHONE["width"]
    screenshot(page, "vat-return-phone-difference")
    box = page.locator("[data-testid=vat-checks]").evaluate(
        "table => { const box = table.closest('.table-scroll');"
        " return box && {scroll: box.scrollWidth, client: box.clientWidth,"
        " overflow: getComputedStyle(box).overflowX}; }"
    )
    assert box is not None
    assert box["overflow"] == "auto"
    # A phone held sideways or a small tablet: wider than the phone rule of app.css (600 px),
    # where only the tables' own box keeps the page within the screen.
    for width in (620, 700, 760):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, width
