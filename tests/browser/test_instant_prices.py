"""A customer uploads a part and reads its prices per process and quantity on the design page,
then opens the quote form from one of them."""

from marketplace.designs.geometry import samples
from tests.browser.helpers import log_in, screenshot
from tests.marketplace.designs.cad.part_network import add_printer

PASSWORD = "correct-horse-battery-staple"
SLOW = 60_000  # ms: the analysis child and the first solves


def test_a_customer_reads_instant_prices_and_quotes_one_of_them(
    page, live_site, small_network, customer_alice, tmp_path
):
    add_printer(small_network["stuttgart"])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, "alice@example.com", PASSWORD)
    part = tmp_path / "bracket.stl"
    part.write_bytes(samples.bracket())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", str(part))
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_url("**/designs/*/")
    page.wait_for_selector("[data-testid=analysis]", timeout=SLOW)
    page.wait_for_selector("#instant-prices[data-state=ready]", timeout=SLOW)

    rows = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=prices] tr[data-quantity]')]
             .map((tr) => ({process: tr.dataset.process, material: tr.dataset.material,
                            quantity: Number(tr.dataset.quantity),
                            unit: Number(tr.dataset.unitMinor), text: tr.innerText}))"""
    )
    assert {row["process"] for row in rows} == {"cnc-3axis", "fdm"}
    printed = [row for row in rows if row["process"] == "fdm"]
    # The matcher books a step in one free stretch of a machine: 100 printed brackets take
    # longer than a day of the printer's 06:00-22:00, so that break is offered by no one.
    assert [row["quantity"] for row in printed] == [1, 10]
    assert printed[0]["unit"] > printed[1]["unit"]
    unpriced = page.inner_text("tr[data-process=fdm]:not([data-quantity])")
    assert "no offer at this quantity" in unpriced
    assert "no machine has a free stretch long enough" in page.inner_text("[data-prices-note]")
    assert all(" EUR" in row["text"] and "¢" not in row["text"] for row in rows)
    table = page.inner_text("[data-testid=prices]")
    assert "PLA" in table
    assert "Aluminium 6061-T6" in table
    screenshot(page, "design-instant-prices")

    page.click("tr[data-process=fdm][data-quantity='10'] [data-testid=quote-this]")
    page.wait_for_url("**/quotes/new/*")
    assert page.eval_on_selector("select[name$=_material]", "s => s.value") == "pla"
    assert page.eval_on_selector("input[name$=_quantity]", "i => i.value") == "10"
    screenshot(page, "quote-form-from-instant-prices")
    assert not errors, errors
