"""Plain helpers of the browser tests; the fixtures are in conftest.py."""

import re
import time
from pathlib import Path

from django.conf import settings

from marketplace.demo.seed import DEMO_LOGINS, DEMO_OPERATOR_TOTP_SECRET
from tests.factories import PASSWORD
from tests.helpers import TEST_TOTP_SECRET, totp_code

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


def screenshot(page, name: str) -> Path:
    """Keeps a full-page screenshot under test-artifacts/browser/ for a person to look at."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SIGNED_IN_OR_ASKED = re.compile(r".*/(dashboard|accounts/2fa/authenticate)/")
TOTP_STEP = 30  # seconds an authenticator code lasts
DEMO_OPERATOR = next(login.email for login in DEMO_LOGINS if login.role == "operator")


def answer_second_factor(page, email: str = "") -> None:
    """After the password: types the authenticator app's code if the site asks for one (users
    given one by tests.helpers.give_second_factor, or the demo operator), then waits for the
    dashboard. The live site refuses a code already used (allauth remembers it for its 30 s
    window), which the same operator signing in again in the next test meets: then the next
    window's code is typed."""
    page.wait_for_url(SIGNED_IN_OR_ASKED)
    if "/accounts/2fa/authenticate/" not in page.url:
        return
    secret = DEMO_OPERATOR_TOTP_SECRET if email == DEMO_OPERATOR else TEST_TOTP_SECRET
    for attempt in range(2):
        if attempt:
            time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 1)
        page.fill("input[name=code]", totp_code(secret))
        with page.expect_navigation():
            page.click("button[type=submit]")
        if "/accounts/2fa/authenticate/" not in page.url:
            break
    page.wait_for_url("**/dashboard/")


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    answer_second_factor(page, email)


def last_mail_link(outbox: Path) -> str:
    files = sorted(outbox.glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert files, "no e-mail was sent"
    return re.findall(r"http://\S+", files[-1].read_text())[-1]


def console_problem(message, *, refused_at: str) -> bool:
    """An error in the console, except the two a story causes on purpose or cannot help: the
    400 answering a form refused at a URL ending in ``refused_at`` (bad input is a 4xx with a
    message), and the browser's own request for /favicon.ico, which the site does not serve."""
    url = message.location.get("url", "")
    expected = ("status of 400" in message.text and url.endswith(refused_at)) or url.endswith(
        "/favicon.ico"
    )
    return message.type == "error" and not expected


def signed_in_page(browser, live_site, email: str, problems: list[str], *, refused_at: str):
    """A desktop page of a new browser context signed in as ``email``, whose console errors
    and failed requests are added to ``problems`` (see ``console_problem``)."""
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on(
        "console",
        lambda m: (
            console_problem(m, refused_at=refused_at) and problems.append(f"{email}: {m.text}")
        ),
    )
    # A download ends its request as "aborted" in Chromium: that one is no failure.
    page.on(
        "requestfailed",
        lambda r: (
            r.failure != "net::ERR_ABORTED"
            and problems.append(f"{email}: failed {r.url} {r.failure}")
        ),
    )
    log_in(page, email, PASSWORD)
    return page
