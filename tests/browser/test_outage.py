"""An operator takes a workshop down in the browser: previewed first, then confirmed.

The customer watches the order page on a phone and sees the new plan arrive without a
reload (Channels); the workshop that receives the moved steps sees them on its job board,
live as well. Screenshots go to test-artifacts/browser/.
"""

import pytest

from marketplace.network.models import Machine
from marketplace.orders.jobs import job_accept
from marketplace.orders.models import Job
from tests.browser.helpers import answer_second_factor, screenshot
from tests.factories import PASSWORD
from tests.factories.network import member_for
from tests.helpers import pay_manually, place_quoted_order

pytestmark = pytest.mark.usefixtures("fast_matcher")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LIVE = (Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED, Job.Status.IN_PROGRESS)


def _login(browser, live_site, email: str, viewport: dict):
    context = browser.new_context(base_url=live_site.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    answer_second_factor(page, email)
    return page


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def accepted_order(
    transactional_db,
    small_network,
    customer_alice,
    operator_olga,
    django_capture_on_commit_callbacks,
):
    """A paid order whose steps the workshops have accepted, made before the browser starts
    (its live events need a thread without Playwright's event loop)."""
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    for job in order.jobs.filter(status=Job.Status.OFFERED):
        job_accept(user=member_for(small_network, job.workshop_id), job=job)
    return order


def _overflowing(page) -> list[str]:
    """The elements wider than the screen, for the failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 8)
            .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""
    )


def test_an_operator_takes_a_workshop_down_and_the_customer_and_the_new_workshop_see_it_live(
    accepted_order, chromium, live_site, small_network, customer_alice, operator_olga
):
    order = accepted_order
    milling = order.jobs.filter(process__code="cnc-3axis", status__in=LIVE).order_by("sequence")
    down = milling.first().workshop
    receiver = next(
        w for w in (small_network["stuttgart"], small_network["eindhoven"]) if w.pk != down.pk
    )
    moving = set(order.jobs.filter(workshop=down, status__in=LIVE).values_list("pk", flat=True))
    existing = set(order.jobs.values_list("pk", flat=True))
    assert moving

    # The customer watches the order on a phone; the receiving workshop its job board.
    customer = _login(chromium, live_site, customer_alice.email, PHONE)
    customer.goto(f"/orders/{order.pk}/")
    customer.evaluate("window.__notReloaded = true")
    board = _login(chromium, live_site, member_for(small_network, receiver.pk).email, DESKTOP)
    board.goto("/jobs/")
    board.evaluate("window.__notReloaded = true")
    customer.wait_for_timeout(500)  # both websockets are open before anything happens

    # The operator asks what taking the workshop down would do: nothing changes yet.
    operator = _login(chromium, live_site, operator_olga.email, DESKTOP)
    operator.click("text=outage what-if, take a workshop down")
    operator.select_option("select[name=workshop]", label=str(down))
    operator.click("button:has-text('See what would move')")
    preview = operator.locator(f"[data-testid=outage-order-{order.reference}]")
    preview.wait_for()
    assert str(receiver) in preview.inner_text()
    assert operator.locator("[data-testid=outage-total-EUR]").is_visible()
    screenshot(operator, "outage-what-if")
    assert not Machine.objects.filter(workshop=down).exclude(status="available").exists()
    assert set(order.jobs.filter(workshop=down, status__in=LIVE).values_list("pk", flat=True)) == (
        moving
    )

    # The same what-if on a phone fits the screen.
    phone = chromium.new_context(
        base_url=live_site.url, viewport=PHONE, storage_state=operator.context.storage_state()
    ).new_page()
    phone.goto(operator.url)
    phone.locator(f"[data-testid=outage-order-{order.reference}]").wait_for(timeout=60_000)
    screenshot(phone, "outage-what-if-phone")
    assert _fits_the_screen(phone), _overflowing(phone)
    phone.context.close()

    # Confirmed with a reason: the machines go down for real and the re-plan follows.
    operator.fill("input[name=reason]", "Flooded hall")
    operator.click(f"button:has-text('Take {down} down')")
    operator.wait_for_selector("text=machine(s) taken down")
    screenshot(operator, "outage-taken-down")
    assert set(Machine.objects.filter(workshop=down).values_list("status", flat=True)) == {"down"}
    new_jobs = list(order.jobs.filter(status__in=LIVE, workshop=receiver).exclude(pk__in=existing))
    assert new_jobs
    assert not order.jobs.filter(pk__in=moving, status__in=LIVE).exists()

    # The customer's page shows the new plan without a reload.
    rows = customer.locator("[data-testid=jobs] tr.job-superseded")
    rows.first.wait_for()
    offered = customer.locator("[data-testid=jobs] tr.job-offered", has_text=str(receiver))
    offered.first.wait_for()
    assert customer.evaluate("window.__notReloaded === true")
    screenshot(customer, "outage-order-replanned-phone")
    assert _fits_the_screen(customer), _overflowing(customer)

    # The receiving workshop sees the new jobs on its board, also without a reload.
    for job in new_jobs:
        board.locator(f"[data-testid=job-{job.pk}]").wait_for()
    assert board.evaluate("window.__notReloaded === true")
    screenshot(board, "outage-job-board")
