"""Every role's daily pages on a phone (390 x 844): nothing wider than the screen, the menu
folds behind a button, the job board's columns stack, no console error, no failed request.
Screenshots go to test-artifacts/browser/phone-*.png for a person to look at."""

from allauth.account.models import EmailAddress

from accounts.models import Membership
from accounts.selectors import active_membership
from marketplace.designs.models import DesignDownload
from marketplace.orders.models import Job, Order, Shipment
from tests.browser.helpers import screenshot
from tests.browser.phone_story import PHONE, open_and_check, seed_demo_for, signed_in


def _sole_member_email(organization) -> str:
    """A member who lands on this organization when signing in (the demo's shop-floor
    accounts have no verified address yet: verify it)."""
    for membership in Membership.objects.filter(organization=organization).select_related("user"):
        if active_membership(user=membership.user).organization_id == organization.pk:
            user = membership.user
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            return user.email
    raise AssertionError(f"no member of {organization} lands on it")


def test_every_role_works_on_a_phone(chromium, live_site, transactional_db, settings):
    seed_demo_for(live_site, settings)
    order = Order.objects.filter(status="in_production").first()
    job = Job.objects.filter(
        order=order, status__in=["accepted", "in_progress"], line__isnull=False
    ).first()
    leg = Shipment.objects.filter(status="planned").first()
    carrier_email = _sole_member_email(leg.carrier.organization)
    workshop_email = _sole_member_email(job.workshop.organization)
    tour = {
        "alice@demo.cloudfactory.example": [
            ("/dashboard/", "customer-dashboard"),
            (f"/orders/{order.pk}/", "customer-order"),
        ],
        workshop_email: [
            ("/dashboard/", "workshop-dashboard"),
            ("/jobs/", "job-board"),
            (f"/jobs/{job.pk}/", "job-card"),
        ],
        carrier_email: [
            ("/dashboard/", "carrier-dashboard"),
            (f"/shipments/{leg.pk}/", "leg-card"),
        ],
        "olga@demo.cloudfactory.example": [("/dashboard/", "operator-console")],
    }
    for email, pages in tour.items():
        visit = signed_in(chromium, live_site, email, PHONE)
        for path, name in pages:
            open_and_check(visit, path, max_width=PHONE["width"])
            screenshot(visit.page, f"phone-{name}")
            if name == "job-card":  # the workshop takes the part file from its card
                with visit.page.expect_download() as download:
                    visit.page.click("[data-testid=job-download]")
                assert download.value.suggested_filename.endswith(".stl")
                assert DesignDownload.objects.filter(revision=job.line.revision).exists()
            if name == "leg-card":
                pickup = visit.page.inner_text("[data-testid=leg-pickup]")
                assert leg.origin.city in pickup
                assert leg.origin.address in pickup
                assert visit.page.inner_text("[data-testid=leg-weight]").endswith(("g", "kg"))
        visit.page.context.close()


def test_the_menu_folds_behind_a_button_on_a_phone(chromium, live_site, transactional_db, settings):
    seed_demo_for(live_site, settings)
    visit = signed_in(chromium, live_site, "alice@demo.cloudfactory.example", PHONE)
    page = visit.page
    orders_link = page.locator("header nav a", has_text="Orders")
    assert not orders_link.is_visible()
    page.click("[data-testid=nav-toggle]")
    assert orders_link.is_visible()
    assert page.get_attribute("[data-testid=nav-toggle]", "aria-expanded") == "true"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-menu-open")
    orders_link.click()
    page.wait_for_url("**/orders/")
    assert visit.problems == []


def test_the_job_board_columns_stack_on_a_phone(chromium, live_site, transactional_db, settings):
    seed_demo_for(live_site, settings)
    job = Job.objects.filter(status="offered").first()
    visit = signed_in(chromium, live_site, _sole_member_email(job.workshop.organization), PHONE)
    open_and_check(visit, "/jobs/", max_width=PHONE["width"])
    boxes = [column.bounding_box() for column in visit.page.locator(".job-column").all()]
    assert len(boxes) == 5
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] for box in boxes)
    assert [box["y"] for box in boxes] == sorted(box["y"] for box in boxes)  # one under another
