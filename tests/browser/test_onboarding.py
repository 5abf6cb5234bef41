"""A newcomer signs up, confirms the e-mail, creates a workshop and sees its dashboard."""

import io
import threading

from django.core.management import call_command

from marketplace.demo import DEMO_PASSWORD
from tests.browser.conftest import last_mail_link, log_in, screenshot


def test_a_newcomer_signs_up_and_sets_up_a_workshop(page, live_site):
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
