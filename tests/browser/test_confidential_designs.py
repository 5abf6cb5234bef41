"""A confidential design in the browser: the customer restricts it to one country, the quote
offers only the workshop there, that workshop accepts the NDA, sees the watermarked part and
downloads it, and the owner's log shows each read."""

import threading

from django.db import connection

from marketplace.designs.geometry import samples
from marketplace.designs.models import DesignDownload, NdaAcceptance
from marketplace.orders.models import Job, Order
from marketplace.orders.services import order_mark_paid
from tests.browser.helpers import answer_second_factor, screenshot

PASSWORD = "correct-horse-battery-staple"
NDA = "The recipient keeps this part, its drawings and its files secret for five years."


def _off_the_browser_loop(function, **kwargs) -> None:
    """Runs a service that publishes live events in a thread of its own: Playwright's event
    loop runs in this one, and Channels' synchronous send refuses to run beside it."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            function(**kwargs)
        except BaseException as error:  # handed back to the test below
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _login(browser, live_site, email):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    answer_second_factor(page, email)
    return page


def test_a_confidential_design_goes_only_to_a_cleared_workshop_and_every_read_is_logged(
    chromium, live_site, transactional_db, small_network, customer_alice, tmp_path
):
    eindhoven = small_network["eindhoven"]
    eindhoven.country = "NL"
    eindhoven.save(update_fields=["country"])

    # The customer uploads a part and makes it confidential, to be made in the Netherlands only.
    customer = _login(chromium, live_site, "alice@example.com")
    part = tmp_path / "secret-bracket.stl"
    part.write_bytes(samples.bracket())
    customer.goto("/designs/")
    customer.set_input_files("input[name=files]", str(part))
    customer.click("form[data-uploader] button[type=submit]")
    customer.wait_for_url("**/designs/*/")
    customer.wait_for_selector("[data-testid=analysis]")
    design_url = customer.url
    customer.click("[data-testid=make-confidential]")
    customer.check("input[name=confidential]")
    customer.fill("input[name=countries]", "XX")
    customer.fill("textarea[name=nda_text]", NDA)
    customer.click("[data-testid=confidentiality-save]")
    error = customer.inner_text("[data-testid=confidentiality-error]")
    assert "“XX” is not an ISO 3166-1 country code" in error
    customer.fill("input[name=countries]", "NL")
    screenshot(customer, "confidential-rule")
    customer.click("[data-testid=confidentiality-save]")
    customer.wait_for_selector("[data-testid=confidential-badge]")

    # The quote offers only the Dutch workshop.
    design_id = int(design_url.rstrip("/").rsplit("/", 1)[1])
    customer.goto(f"/quotes/new/?design={design_id}")
    customer.locator("select[name$=_material]").first.select_option("al-6061")
    customer.fill("input[name=ship_to_name]", "Acme goods in")
    customer.fill("input[name=ship_to_address]", "Leopoldstraße 1")
    customer.fill("input[name=ship_to_city]", "Munich")
    customer.fill("input[name=ship_to_country]", "DE")
    customer.fill("input[name=ship_to_latitude]", "48.1351")
    customer.fill("input[name=ship_to_longitude]", "11.5820")
    customer.click("button:has-text('Find options')")
    customer.wait_for_selector("[data-testid=option]")
    for details in customer.locator("[data-testid=option] details").all():
        details.locator("summary").click()
    routes = " ".join(o.inner_text() for o in customer.locator("[data-testid=option]").all())
    assert "Second Mill" in routes
    assert "Mill Works" not in routes
    screenshot(customer, "confidential-quote")
    customer.locator("[data-testid=option] button:has-text('Order this option')").first.click()
    customer.wait_for_selector("[data-testid=payment-reference]")
    order = Order.objects.get()
    _off_the_browser_loop(order_mark_paid, order_id=order.pk)
    jobs = list(order.jobs.filter(status=Job.Status.OFFERED))
    assert jobs
    assert {job.workshop_id for job in jobs} == {eindhoven.pk}

    # The workshop's member must accept the NDA before the part opens.
    charlie = small_network["charlie"]
    workshop = _login(chromium, live_site, charlie.email)
    workshop.goto(f"/jobs/{jobs[0].pk}/")
    workshop.wait_for_selector("[data-testid=job-nda-required]")
    screenshot(workshop, "confidential-job-card-before-nda")
    workshop.click("[data-testid=job-nda-required] a")
    workshop.wait_for_selector("[data-testid=nda-text]")
    assert NDA in workshop.inner_text("[data-testid=nda-text]")
    screenshot(workshop, "confidential-nda")
    workshop.check("[data-testid=nda-agree]")
    workshop.click("[data-testid=nda-accept]")
    workshop.wait_for_selector("#viewer[data-loaded=true]")
    watermark = workshop.inner_text("[data-testid=viewer-watermark]")
    assert "Second Mill" in watermark
    assert charlie.email in watermark or (charlie.get_full_name() or "-") in watermark
    screenshot(workshop, "confidential-watermarked-view")
    acceptance = NdaAcceptance.objects.get()
    assert (acceptance.user_id, acceptance.organization_id) == (
        charlie.pk,
        eindhoven.organization_id,
    )
    revision_id = order.request.lines.get().revision_id
    workshop.goto(f"/designs/files/{revision_id}/thumbnail.png")
    screenshot(workshop, "confidential-watermarked-thumbnail")
    workshop.goto(f"/jobs/{jobs[0].pk}/")
    with workshop.expect_download() as download:
        workshop.click("[data-testid=job-download]")
    assert download.value.suggested_filename == "secret-bracket.stl"

    # The owner's log shows each read by the workshop.
    customer.goto(f"{design_url}access-log/")
    log = customer.inner_text("[data-testid=access-log]")
    for kind in ("Opened the design page", "Opened the 3D view", "Saw the picture"):
        assert kind in log
    assert "Downloaded the file" in log
    assert charlie.email in log
    screenshot(customer, "confidential-access-log")
    kinds = set(
        DesignDownload.objects.filter(organization=eindhoven.organization).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"view", "preview", "thumbnail", "download"}
