"""Shared steps of the phone and chart browser tests: the demo network seeded where the live
site reads it, a signed-in page at a given size that records console errors and failed
requests, and the checks every visited page must pass."""

import io
import threading
from dataclasses import dataclass, field

from django.core.management import call_command

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.helpers import answer_second_factor

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def seed_demo_for(live_site, settings) -> None:
    """The demo network, its files where the live site serves media from. Seeding runs in
    its own thread: it publishes live events through async_to_sync, which refuses to run
    inside Playwright's event loop."""
    settings.MEDIA_ROOT = str(live_site.media)
    seeding = threading.Thread(
        target=call_command, args=["seed_demo"], kwargs={"stdout": io.StringIO()}
    )
    seeding.start()
    seeding.join()


@dataclass
class Visit:
    page: object
    problems: list[str] = field(default_factory=list)


def signed_in(chromium, live_site, email: str, viewport: dict, password: str = DEMO_PASSWORD):
    """A fresh browser context signed in as `email`, logging every console error, page error,
    failed request and 4xx/5xx answer into `problems`."""
    context = chromium.new_context(base_url=live_site.url, viewport=viewport, has_touch=False)
    page = context.new_page()
    page.set_default_timeout(20_000)
    visit = Visit(page)
    page.on(
        "console",
        lambda message: message.type == "error" and visit.problems.append(message.text),
    )
    page.on("pageerror", lambda error: visit.problems.append(f"page error: {error}"))
    # A navigation cancels what the page still loads (the favicon, a chart's data): Chromium
    # reports it as ERR_ABORTED, which is no failure; any error answer is caught below.
    page.on(
        "requestfailed",
        lambda request: (
            request.failure != "net::ERR_ABORTED"
            and visit.problems.append(f"failed: {request.url} {request.failure}")
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and visit.problems.append(f"{response.status}: {response.url}")
        ),
    )
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    answer_second_factor(page, email)
    return visit


def open_and_check(visit: Visit, path: str, *, max_width: int | None = None) -> None:
    """Opens `path`, waits until the network is quiet and the charts are drawn, and asserts
    no problem was logged and (on a phone) nothing is wider than the screen."""
    page = visit.page
    visit.problems.clear()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(e => e.dataset.chartReady)"
    )
    assert visit.problems == [], f"{path}: {visit.problems}"
    if max_width is not None:
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= max_width, f"{path} is {width} px wide"
