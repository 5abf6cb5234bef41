"""Plain helpers of the browser tests; the fixtures are in conftest.py."""

import re
from pathlib import Path

from django.conf import settings

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


def screenshot(page, name: str) -> Path:
    """Keeps a full-page screenshot under test-artifacts/browser/ for a person to look at."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


def last_mail_link(outbox: Path) -> str:
    files = sorted(outbox.glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert files, "no e-mail was sent"
    return re.findall(r"http://\S+", files[-1].read_text())[-1]
