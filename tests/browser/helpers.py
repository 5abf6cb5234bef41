"""Plain helpers of the browser tests; the fixtures are in conftest.py."""

import re
from pathlib import Path

from django.conf import settings

from marketplace.demo.seed import DEMO_LOGINS, DEMO_OPERATOR_TOTP_SECRET
from tests.helpers import TEST_TOTP_SECRET, totp_code

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


def screenshot(page, name: str) -> Path:
    """Keeps a full-page screenshot under test-artifacts/browser/ for a person to look at."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SIGNED_IN_OR_ASKED = re.compile(r".*/(dashboard|accounts/2fa/authenticate)/")
DEMO_OPERATOR = next(login.email for login in DEMO_LOGINS if login.role == "operator")


def answer_second_factor(page, email: str = "") -> None:
    """After the password: types the authenticator app's code if the site asks for one (users
    given one by tests.helpers.give_second_factor, or the demo operator), then waits for the
    dashboard."""
    page.wait_for_url(SIGNED_IN_OR_ASKED)
    if "/accounts/2fa/authenticate/" in page.url:
        secret = DEMO_OPERATOR_TOTP_SECRET if email == DEMO_OPERATOR else TEST_TOTP_SECRET
        page.fill("input[name=code]", totp_code(secret))
        page.click("button[type=submit]")
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
