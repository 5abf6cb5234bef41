"""Second factors in a real browser: an operator without one cannot reach the console; with an
authenticator app set up (its code computed by the real TOTP algorithm) they reach it, and the
next sign-in asks for the code. A security key (Chromium's virtual authenticator) works too,
and no page breaks the Content-Security-Policy."""

from allauth.mfa.models import Authenticator

from accounts.models import Organization
from tests.browser.helpers import screenshot
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import totp_code


def _operator(email: str):
    user = UserFactory(email=email)
    platform = OrganizationFactory(name="Cloud Factory Operations", kind=Organization.Kind.PLATFORM)
    MembershipFactory(user=user, organization=platform)
    return user


def _csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def _password(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_an_operator_without_a_second_factor_cannot_reach_the_console_until_one_is_set_up(page):
    violations = _csp_violations(page)
    operator = _operator("otto@example.com")
    _password(page, operator.email)
    page.wait_for_url("**/accounts/2fa/")
    assert page.is_visible("text=Operators must set up a second factor")
    page.goto("/dashboard/")
    assert page.url.endswith("/accounts/2fa/")
    page.goto("/operations/outages/")
    assert page.url.endswith("/accounts/2fa/")
    assert not page.is_visible("text=Workshops awaiting verification")
    screenshot(page, "mfa-required")

    page.goto("/accounts/2fa/totp/activate/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.is_visible("img[alt]")  # the QR code, a data: image the policy allows
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert Authenticator.objects.filter(user=operator, type="totp").exists()

    page.goto("/dashboard/")
    page.wait_for_selector("text=Workshops awaiting verification")
    screenshot(page, "mfa-operator-console")

    # Signing in again: the password alone is not enough.
    page.goto("/accounts/logout/")
    page.click("button[type=submit]")
    _password(page, operator.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Incorrect code")
    page.goto("/dashboard/")  # the sign-in is still waiting for the second factor
    assert "/accounts/2fa/authenticate/" in page.url
    assert not page.is_visible("text=Workshops awaiting verification")
    assert violations == []


def test_an_operator_adds_a_security_key_and_reaches_the_console(
    chromium, live_site, transactional_db
):
    # A security key belongs to a domain name: WebAuthn refuses an IP address as the site's id.
    context = chromium.new_context(base_url=live_site.url.replace("127.0.0.1", "localhost"))
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = _csp_violations(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    operator = _operator("kim@example.com")
    _password(page, operator.email)
    page.wait_for_url("**/accounts/2fa/")
    page.goto("/accounts/2fa/webauthn/add/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    page.fill("input[name=name]", "Desk key")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert Authenticator.objects.filter(user=operator, type="webauthn").exists()
    page.goto("/dashboard/")
    page.wait_for_selector("text=Workshops awaiting verification")
    assert violations == []
    context.close()
