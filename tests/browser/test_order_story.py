"""The whole story in the browser: upload, quote, order, pay, accept, decline and re-plan,
produce, ship, deliver, review — and the operator sees it. Screenshots go to docs/screenshots/.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings

from marketplace.demo import catalog
from marketplace.designs.geometry import samples
from marketplace.network.models import Carrier, CarrierRate
from marketplace.orders.models import Job, Order, QuoteRequest
from matching import transport
from matching.transport import RateBand
from tests.browser.helpers import ARTIFACTS, answer_second_factor, screenshot

PASSWORD = "correct-horse-battery-staple"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _login(browser, live_site, email):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    answer_second_factor(page, email)
    page.wait_for_load_state()
    assert "/dashboard/" in page.url, f"{email}: " + page.inner_text("main")
    return page


def _goto(page, url: str) -> None:
    """Navigate even when a live update reloads the page at the same moment (it may, by design)."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            page.goto(url)
            page.wait_for_load_state()
            return
        except Error as error:
            if "interrupted by another navigation" not in str(error) or attempt == 2:
                raise


def _keep(page, name):
    """A screenshot for the README; copied into the repository by `make screenshots`."""
    path = screenshot(page, name)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / f"{name}.png")


def _assert_parcels_at_published_rates(option, rates) -> None:
    """Small parts travel as parcels: each leg is priced at one parcel of the carrier's
    published tariff for its distance band, and carries the CO2 of a parcel's share of a van
    (the DESNZ/DEFRA 2024 van factor, see docs/transport.md) between the smallest carton's
    volumetric weight and the parcel weight limit; transport is a small part of the cost."""
    bands = [RateBand(r.upto_km, r.parcel_minor, r.pallet_minor) for r in rates]
    cheapest = min(b.parcel_minor for b in bands)
    dearest = max(b.parcel_minor for b in bands)
    smallest_kg = transport.MIN_BOX_CM3 / transport.VOLUMETRIC_DIVISOR_CM3_PER_KG
    legs = option.route["legs"]
    assert legs
    for leg in legs:
        assert leg["cost_minor"] == transport.band_for(bands, leg["km"]).parcel_minor, leg
        assert cheapest <= leg["cost_minor"] <= dearest, leg
        van_g_per_kg = transport.VAN_KG_CO2E_PER_TKM * leg["km"]  # g CO2e per chargeable kg
        assert smallest_kg * van_g_per_kg - 0.5 <= leg["co2_g"], leg  # grams, rounded
        assert leg["co2_g"] <= transport.PARCEL_MAX_KG * van_g_per_kg + 0.5, leg
    assert sum(leg["cost_minor"] for leg in legs) < option.cost_minor / 3
    assert 100 <= sum(leg["co2_g"] for leg in legs) < 2000  # a few hundred grams


def _user_of(job_workshop_id, network):
    return {
        network["stuttgart"].pk: network["bob"].email,
        network["eindhoven"].pk: network["charlie"].email,
    }.get(job_workshop_id, network["nina"].email)


def test_the_whole_order_story_in_the_browser(
    chromium,
    live_site,
    transactional_db,
    small_network,
    customer_alice,
    operator_olga,
    tmp_path,
):
    # The carrier sends parcels at the demo's Rhein Cargo tariff, as real small parts travel
    # (the README shows these pages: a dedicated van per leg made transport most of the CO2).
    carrier = Carrier.objects.get(organization__name="Rhein Cargo")
    CarrierRate.objects.bulk_create(
        CarrierRate(carrier=carrier, upto_km=km, parcel_minor=parcel, pallet_minor=pallet)
        for km, parcel, pallet in catalog.CARRIER_RATES["Rhein Cargo"]
    )

    # The customer uploads three small parts and asks for a quote.
    customer = _login(chromium, live_site, "alice@example.com")
    parts = {
        "bracket": samples.bracket(),
        "gear": samples.gear(),
        "spacer": samples.assembly()["spacer"],
    }
    for name, data in parts.items():
        (tmp_path / f"{name}.stl").write_bytes(data)
    _goto(customer, "/designs/")
    customer.set_input_files("input[name=files]", [str(tmp_path / f"{name}.stl") for name in parts])
    customer.click("form[data-uploader] button[type=submit]")
    customer.wait_for_selector(".upload-results .message-success >> nth=2")
    _goto(customer, "/quotes/new/")
    for box in customer.locator("input[name=design]").all():
        box.check()
    customer.click("button:has-text('Continue')")
    for select in customer.locator("select[name$=_material]").all():
        select.select_option("al-6061")
    for select in customer.locator("select[name$=_finish]").all():
        select.select_option("anodized")
    customer.fill("input[name=ship_to_name]", "Acme goods in")
    customer.fill("input[name=ship_to_address]", "Leopoldstraße 1")
    customer.fill("input[name=ship_to_city]", "Munich")
    customer.fill("input[name=ship_to_country]", "DE")
    customer.fill("input[name=ship_to_latitude]", "48.1351")
    customer.fill("input[name=ship_to_longitude]", "11.5820")
    _keep(customer, "quote-request")
    customer.click("button:has-text('Find options')")
    customer.wait_for_selector("[data-testid=option]")
    assert customer.locator("[data-testid=option]").count() >= 1
    quote = QuoteRequest.objects.get()
    assert quote.lines.count() == 3
    for option in quote.options.all():
        _assert_parcels_at_published_rates(option, carrier.rates.all())
    first = quote.options.order_by("rank").first()
    assert customer.inner_text("[data-testid=transport] >> nth=0") == (
        f"Transport, in the price: {len(first.route['legs'])} legs, "
        f"{sum(leg['cost_minor'] for leg in first.route['legs']) / 100:,.2f} EUR, "
        f"{sum(leg['co2_g'] for leg in first.route['legs']) / 1000:,.1f} kg CO2."
    )
    customer.locator("[data-testid=option] details >> nth=0").evaluate("d => d.open = true")
    _keep(customer, "quote-options")
    customer.locator("[data-testid=option] button:has-text('Order this option')").first.click()
    customer.wait_for_selector("[data-testid=payment-reference]")
    order = Order.objects.get()
    assert order.status == "placed"
    _keep(customer, "order-awaiting-payment")

    # The operator sees the transfer arrive and confirms it.
    operator = _login(chromium, live_site, "olga@example.com")
    operator.click("#payments button:has-text('Confirm receipt')")
    operator.wait_for_selector("text=confirmed")
    order.refresh_from_db()
    assert order.status == "paid"

    # Workshops accept; the first mill declines its second step, which moves elsewhere.
    pages = {}

    def page_for(email):
        if email not in pages:
            pages[email] = _login(chromium, live_site, email)
        return pages[email]

    milling = list(order.jobs.filter(process__code="cnc-3axis").order_by("sequence"))
    declined = milling[-1]
    decliner = page_for(_user_of(declined.workshop_id, small_network))
    _goto(decliner, "/jobs/")
    card = decliner.locator(f"[data-testid=job-{declined.pk}]")
    card.locator("summary:has-text('Decline')").click()
    card.locator("input[name=reason]").fill("Our mill is down for a spindle change")
    card.locator("button:has-text('Decline job')").click()
    decliner.wait_for_selector("h2:has-text('Declined or moved')")
    replacement = order.jobs.get(
        job_key=declined.job_key, step_key=declined.step_key, status="offered"
    )
    assert replacement.workshop_id != declined.workshop_id
    _keep(decliner, "job-board-after-decline")

    for job in order.jobs.filter(status="offered").order_by("planned_start"):
        board = page_for(_user_of(job.workshop_id, small_network))
        _goto(board, "/jobs/")
        board.locator(f"[data-testid=job-{job.pk}] button:has-text('Accept')").click()
        board.wait_for_load_state()
    assert not order.jobs.filter(status="offered").exists()

    # The customer watches the order page while the workshops work: it updates in place.
    _goto(customer, f"/orders/{order.pk}/")
    customer.evaluate("window.__notReloaded = true")

    # Each workshop produces, reports progress and hands the parts on.
    for job in order.jobs.filter(status="accepted").order_by("planned_start"):
        board = page_for(_user_of(job.workshop_id, small_network))
        _goto(board, "/jobs/")
        board.locator(f"[data-testid=job-{job.pk}] button:has-text('Start')").click()
        board.wait_for_load_state()
        _goto(board, "/jobs/")
        card = board.locator(f"[data-testid=job-{job.pk}]")
        card.locator("input[name=percent]").fill("60")
        card.locator("button:has-text('Report')").click()
        board.wait_for_load_state()
        _goto(board, "/jobs/")
        board.locator(f"[data-testid=job-{job.pk}] button:has-text('Complete')").click()
        board.wait_for_load_state()
        for leg in order.shipments.filter(
            status="planned", origin_id=job.workshop_id, job_key=job.job_key
        ):
            if (
                order.jobs.filter(job_key=leg.job_key, workshop_id=leg.origin_id)
                .exclude(
                    status__in=[
                        Job.Status.DONE,
                        Job.Status.DECLINED,
                        Job.Status.SUPERSEDED,
                        Job.Status.CANCELLED,
                    ]
                )
                .exists()
            ):
                continue
            _goto(board, f"/orders/{order.pk}/")
            row = board.locator(f"form[action='/shipments/{leg.pk}/hand-over/']")
            row.locator("input[name=tracking_number]").fill(f"TRK-{leg.pk}")
            row.locator("button").click()
            board.wait_for_load_state()
            if leg.destination_id:
                receiver = page_for(_user_of(leg.destination_id, small_network))
                _goto(receiver, f"/orders/{order.pk}/")
                receiver.locator(f"form[action='/shipments/{leg.pk}/receive/'] button").click()
                receiver.wait_for_load_state()
    order.refresh_from_db()
    assert order.status == "shipped"
    customer.wait_for_selector("[data-testid=order-status]:has-text('Shipped')")
    assert customer.evaluate("window.__notReloaded === true")

    # The customer confirms delivery, completes and reviews.
    _goto(customer, f"/orders/{order.pk}/")
    _keep(customer, "order-shipped")
    customer.click("button:has-text('I received the parts (inspect first)')")
    customer.wait_for_selector("button:has-text('Accept the parts and complete the order')")
    customer.click("button:has-text('Accept the parts and complete the order')")
    customer.wait_for_selector("h2:has-text('Review the workshops')")
    form = customer.locator("form.review-form").first
    form.locator("input[name=comment]").fill("Precise work, well packed.")
    form.locator("button").click()
    customer.wait_for_selector("text=Thank you for reviewing")
    order.refresh_from_db()
    assert order.status == "completed"
    assert order.reviews.count() == 1
    _keep(customer, "order-completed")

    _goto(operator, "/dashboard/")
    assert operator.is_visible("text=Operator console")
    _keep(operator, "operator-console")

    # Settlement: the operator pays out what is due; every party reads a statement that adds up.
    from billing.models import Payout

    _goto(operator, "/billing/settlements/")
    operator.click("button:has-text('Start run')")
    operator.wait_for_load_state()
    _keep(operator, "settlement-run")
    payouts = Payout.objects.filter(order_id=order.pk)
    assert payouts.exists()
    assert not payouts.filter(status="pending").exists()

    _goto(customer, f"/billing/statements/orders/{order.pk}/")
    total = customer.inner_text("tfoot")
    assert f"{order.price_minor / 100:,.2f} EUR" in total
    _keep(customer, "customer-statement")
    workshop = page_for(
        _user_of(order.jobs.filter(status="done").first().workshop_id, small_network)
    )
    _goto(workshop, "/billing/statements/")
    assert workshop.is_visible("text=earned")
    assert (ARTIFACTS / "operator-console.png").exists()
