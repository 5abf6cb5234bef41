"""The part designer on a phone (390 x 844): the template buttons keep their names whole,
and prices that could not be had say why."""

import json

from tests.browser.helpers import screenshot
from tests.browser.phone_story import PHONE, signed_in

PASSWORD = "correct-horse-battery-staple"


def test_the_template_buttons_wrap_whole_on_a_phone(
    chromium, live_site, transactional_db, customer_alice
):
    visit = signed_in(chromium, live_site, "alice@example.com", PHONE, password=PASSWORD)
    page = visit.page
    page.goto("/designs/new-part/")
    buttons = page.locator("[data-template]")
    assert buttons.count() == 6
    line = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('[data-template]')).lineHeight)"
    )
    for button in buttons.all():
        box = button.bounding_box()
        # one line of text each ("L-bracket", "Flange"), never a letter or a syllable a line
        assert box["height"] < 2 * line + 24, (button.inner_text(), box)
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-part-designer")


def test_prices_that_could_not_be_had_say_why_not_that_no_workshop_can_make_it(
    chromium, live_site, transactional_db, customer_alice
):
    """A refused price request (throttled, busy) is not an answer about the network."""
    visit = signed_in(chromium, live_site, "alice@example.com", PHONE, password=PASSWORD)
    page = visit.page
    message = "Parts are being made for many customers right now: try again in a few seconds."
    busy = json.dumps({"error": {"code": "parts_busy", "message": message}})
    page.route(
        "**/api/v1/part-templates/*/prices/",
        lambda route: route.fulfill(status=503, content_type="application/json", body=busy),
    )
    page.goto("/designs/new-part/")
    page.wait_for_selector("#part-designer[data-state=ready]", timeout=120_000)
    prices = page.inner_text("[data-testid=prices] tbody")
    assert "try again in a few seconds" in prices
    assert "No workshop" not in prices
