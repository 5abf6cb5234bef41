"""The Content-Security-Policy in a real browser: the pages still work (the 3D viewer, the
organization switcher, the API docs, the admin) and Chromium reports no violation."""

from marketplace.designs.geometry import samples
from tests.browser.helpers import log_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import TEST_TOTP_SECRET, give_second_factor, totp_code

PASSWORD = "correct-horse-battery-staple"


def _watch_violations(page) -> list[str]:
    """Chromium logs every refused script, style or connection on the console."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_the_policy_holds_and_the_viewer_and_switcher_still_work(page, live_site, tmp_path):
    violations = _watch_violations(page)
    user = UserFactory(email="erin@example.com")
    MembershipFactory(user=user, organization=OrganizationFactory(name="Erin Engines"))
    MembershipFactory(user=user, organization=OrganizationFactory(name="Second Shop"))
    log_in(page, "erin@example.com", PASSWORD)

    page.select_option("select[name=organization]", label="Second Shop (Customer)")
    page.wait_for_selector("text=You now act for Second Shop")

    part = tmp_path / "bracket.stl"
    part.write_bytes(samples.bracket())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", str(part))
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_url("**/designs/*/")
    page.wait_for_selector("#viewer[data-loaded=true]")

    page.goto("/settings/tokens/")
    page.click("text=Create a token")
    page.wait_for_selector("[data-testid=new-token]")
    assert violations == []


def test_the_api_docs_and_the_admin_work_under_the_policy(page, live_site):
    violations = _watch_violations(page)
    give_second_factor(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    page.goto("/api/v1/docs/")
    page.wait_for_selector("#swagger-ui .opblock")
    page.goto("/admin/login/")  # the admin signs in through the site's own sign-in
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", "root@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")  # staff answer a second factor
    page.fill("input[name=code]", totp_code(TEST_TOTP_SECRET))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Site administration")
    page.goto("/admin/marketplace/designdownload/")
    page.wait_for_selector("text=Select design download")
    assert violations == []


def test_every_page_carries_the_policy_headers(page, live_site):
    response = page.goto("/accounts/login/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "camera=()" in response.headers["permissions-policy"]
