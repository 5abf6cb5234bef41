"""A newcomer signs up, confirms the e-mail, creates a workshop and sees its dashboard."""

import io
import threading

from django.core.management import call_command

from marketplace.demo.seed import DEMO_PASSWORD, seed_catalog
from marketplace.network.models import Workshop
from tests.browser.helpers import last_mail_link, log_in, screenshot


def test_a_newcomer_signs_up_and_sets_up_a_workshop(page, live_site):
    seed_catalog()
    page.goto("/")
    screenshot(page, "home")
    page.click("text=Sign up")
    page.fill("input[name=email]", "newcomer@example.com")
    page.fill("input[name=password1]", "a-long-enough-secret-42")
    page.fill("input[name=password2]", "a-long-enough-secret-42")
    page.click("button[type=submit]")
    page.wait_for_url("**/confirm-email/")

    page.goto(last_mail_link(live_site.outbox).replace("http://127.0.0.1:8000", live_site.url))
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert page.is_visible("text=You do not belong to any organization yet")

    page.click("text=Create an organization")
    page.fill("input[name=name]", "Newcomer Machining")
    page.select_option("select[name=kind]", "workshop")
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert page.is_visible("text=Workshop dashboard")
    assert page.is_visible("text=Newcomer Machining is ready")
    screenshot(page, "workshop-dashboard-new")

    # Describe the workshop, add a machine, publish its hours.
    page.click("a:has-text('Describe your workshop')")
    page.fill("textarea[name=description]", "Prototype milling in aluminium and steel.")
    page.fill("input[name=city]", "Augsburg")
    page.fill("input[name=country]", "DE")
    page.fill("input[name=latitude]", "48.37060")
    page.fill("input[name=longitude]", "10.89780")
    page.click("button:has-text('Save profile')")
    page.wait_for_selector("text=Your workshop profile is saved")
    assert page.is_visible("text=not verified yet")  # why nothing is offered yet

    page.click("a:has-text('Add a machine')")
    page.fill("input[name=name]", "Hermle C 22")
    page.select_option("select[name=process]", label="3-axis CNC milling")
    page.check("input[name=materials] >> nth=0")  # a filament: milling cannot take it
    for name, value in {"envelope_x_mm": "800", "envelope_y_mm": "600", "envelope_z_mm": "500",
                        "tolerance_mm": "0.02", "hourly_rate": "85", "setup_cost": "60",
                        "setup_minutes": "45", "throughput": "18"}.items():  # fmt: skip
        page.fill(f"input[name={name}]", value)
    page.click("button:has-text('Save machine')")
    page.wait_for_selector("[role=alert]")
    assert "cannot process" in page.inner_text("[role=alert]")
    page.uncheck("input[name=materials] >> nth=0")
    page.check("label:has-text('Aluminium 6061-T6') input")
    page.click("button:has-text('Save machine')")
    page.wait_for_selector("text=Now give it opening hours")
    for day in range(5):
        page.check(f"input[name=open_{day}]")
    page.click("button:has-text('Save opening hours')")
    page.wait_for_selector("text=Opening hours saved")
    assert page.is_visible("[data-testid=free-hours]")
    screenshot(page, "machine-capacity-new")

    # Once an operator verifies the workshop, its hours are offered to the matcher.
    Workshop.objects.filter(organization__name="Newcomer Machining").update(
        verification_status="verified"
    )
    page.goto("/workshop/")
    assert float(page.inner_text("[data-testid=offered-hours]")) > 0


def test_each_role_sees_its_dashboard_on_the_demo_network(page, live_site):
    # Outside Playwright's event loop: seeding publishes live events through async_to_sync.
    seeding = threading.Thread(
        target=call_command, args=["seed_demo"], kwargs={"stdout": io.StringIO()}
    )
    seeding.start()
    seeding.join()
    expectations = {
        "alice@demo.cloudfactory.example": ("Customer dashboard", "customer-dashboard"),
        "bob@demo.cloudfactory.example": ("Haas VF-2 #1", "workshop-dashboard"),
        "carla@demo.cloudfactory.example": ("Logistics dashboard", "logistics-dashboard"),
        "olga@demo.cloudfactory.example": ("Workshops awaiting verification", "operator-console"),
    }
    for email, (text, name) in expectations.items():
        log_in(page, email, DEMO_PASSWORD)
        assert page.is_visible(f"text={text}"), email
        screenshot(page, name)
        page.goto("/accounts/logout/")
        page.click("button[type=submit]")
    log_in(page, "alice@demo.cloudfactory.example", DEMO_PASSWORD)
    page.goto("/network/?process=cnc-5axis")
    assert page.locator("table tbody tr").count() >= 5
    screenshot(page, "network")
