"""The part designer on a phone (390 x 844): the template buttons keep their names whole."""

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
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-part-designer")
