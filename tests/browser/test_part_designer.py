"""A customer designs a bracket in the browser, watches preview and price follow a hole, saves
it and gets quote options for it."""

import re

from marketplace.designs.models import DesignRevision
from tests.browser.helpers import log_in, screenshot
from tests.marketplace.designs.cad.part_network import add_printer

PASSWORD = "correct-horse-battery-staple"
SLOW = 120_000  # ms: the first part starts the CAD kernel's warm parent


def _ready_after(page, generation: int) -> dict:
    """Waits for the preview and prices of a newer generation; returns what the page shows."""
    page.wait_for_function(
        "(g) => { const root = document.getElementById('part-designer');"
        " return root.dataset.state === 'ready' && Number(root.dataset.generation) > g; }",
        arg=generation,
        timeout=SLOW,
    )
    return page.evaluate(
        """() => ({
          generation: Number(document.getElementById('part-designer').dataset.generation),
          volume: Number(document.querySelector('[data-testid=part-summary]').dataset.volume),
          triangles: Number(document.getElementById('part-viewer').dataset.triangles),
          prices: Object.fromEntries(
            [...document.querySelectorAll('[data-testid=prices] tr[data-process]')]
              .map((row) => [row.dataset.process, Number(row.dataset.priceMinor)])),
        })"""
    )


def test_a_customer_designs_a_bracket_prices_it_saves_it_and_gets_quote_options(
    page, live_site, small_network, customer_alice
):
    add_printer(small_network["stuttgart"])
    log_in(page, "alice@example.com", PASSWORD)
    page.goto("/designs/")
    page.click("[data-testid=design-a-part]")
    page.wait_for_url("**/designs/new-part/")
    page.click("button[data-template=bracket]")
    first = _ready_after(page, 0)
    assert first["triangles"] > 0
    assert set(first["prices"]) == {"cnc-3axis", "fdm"}
    assert "Every process on offer can make this part" in page.inner_text("[data-testid=findings]")
    screenshot(page, "part-designer-bracket")

    page.fill("[data-testid=param-hole_diameter]", "12")
    second = _ready_after(page, first["generation"])
    assert second["volume"] < first["volume"]  # bigger holes, less material
    assert second["prices"]["fdm"] < first["prices"]["fdm"]
    screenshot(page, "part-designer-bigger-holes")

    page.fill("[data-testid=param-hole_diameter]", "40")  # wider than a leg's flat part
    page.wait_for_selector("#part-designer[data-state=invalid]", timeout=SLOW)
    assert "does not fit on the flat part" in page.inner_text("#help-hole_diameter")
    page.fill("[data-testid=param-hole_diameter]", "12")
    _ready_after(page, second["generation"])

    page.fill("[data-testid=design-name]", "Sensor bracket")
    page.click("[data-testid=save-part]")
    page.wait_for_url(re.compile(r"/designs/\d+/$"), timeout=SLOW)
    assert page.is_visible("text=Sensor bracket")
    revision = DesignRevision.objects.get(design__name="Sensor bracket")
    assert revision.template == "bracket"
    assert revision.parameters["hole_diameter"] == 12
    step = page.request.get(f"/designs/files/{revision.pk}/part.step")
    assert step.ok
    assert step.body().startswith(b"ISO-10303-21")

    page.click("text=Get a quote for this part")
    page.wait_for_url("**/quotes/new/**")
    assert page.is_visible("text=Sensor bracket")
    page.locator("select[name$=_material]").first.select_option("al-6061")
    page.fill("input[name=ship_to_name]", "Acme goods in")
    page.fill("input[name=ship_to_address]", "Leopoldstraße 1")
    page.fill("input[name=ship_to_city]", "Munich")
    page.fill("input[name=ship_to_country]", "DE")
    page.fill("input[name=ship_to_latitude]", "48.1351")
    page.fill("input[name=ship_to_longitude]", "11.5820")
    page.click("button:has-text('Find options')")
    page.wait_for_selector("[data-testid=option]", timeout=SLOW)
    assert page.locator("[data-testid=option]").count() >= 1
    screenshot(page, "part-designer-quote-options")
