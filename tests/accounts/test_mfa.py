"""Second factors: offered to everyone, required of operators (console and API) and of whoever
opens bank details; set up, then asked for at every password sign-in."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from accounts import tokens
from accounts.second_factor import MONEY_REFUSAL, OPERATOR_REFUSAL, SETUP_URL
from tests.factories import PASSWORD
from tests.helpers import TEST_TOTP_SECRET, error_of, give_second_factor, totp_code

pytestmark = pytest.mark.django_db

OPERATOR_PAGES = ["/dashboard/", "/operations/outages/", "/operations/audit/", "/billing/audit/"]


@pytest.fixture
def operator_without_factor(operator_olga):
    Authenticator.objects.filter(user=operator_olga).delete()
    return operator_olga


def _token_client(api_client, user):
    _, key = tokens.token_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client


def _sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


@pytest.mark.parametrize("path", OPERATOR_PAGES)
def test_an_operator_without_a_second_factor_is_sent_to_set_one_up(
    client, operator_without_factor, path
):
    client.force_login(operator_without_factor)
    response = client.get(path)
    assert (response.status_code, response.url) == (302, SETUP_URL)
    page = client.get(SETUP_URL).content.decode()
    assert "Operators must set up a second factor" in page


@pytest.mark.parametrize("path", OPERATOR_PAGES)
def test_an_operator_with_a_second_factor_reaches_the_console(client, operator_olga, path):
    client.force_login(operator_olga)
    assert client.get(path).status_code == 200


def test_the_api_refuses_an_operator_token_without_a_second_factor_and_says_why(
    api_client, operator_without_factor
):
    api = _token_client(api_client, operator_without_factor)
    response = api.get("/api/v1/billing/settlements/")
    assert response.status_code == 403
    assert error_of(response)["message"] == OPERATOR_REFUSAL
    give_second_factor(operator_without_factor)
    assert api.get("/api/v1/billing/settlements/").status_code == 200


def test_the_api_refuses_an_operator_session_without_a_second_factor(
    api_client, operator_without_factor
):
    api_client.force_login(operator_without_factor)
    response = api_client.get("/api/v1/organizations/")
    assert response.status_code == 403
    assert error_of(response)["message"] == OPERATOR_REFUSAL


def test_customers_need_no_second_factor_for_their_own_pages(client, api_client, customer_alice):
    client.force_login(customer_alice)
    assert client.get("/dashboard/").status_code == 200
    assert _token_client(api_client, customer_alice).get("/api/v1/orders/").status_code == 200


def test_bank_details_need_a_second_factor_on_the_page_and_in_the_api(
    client, api_client, workshop_bob
):
    client.force_login(workshop_bob)
    response = client.get("/billing/bank-account/")
    assert (response.status_code, response.url) == (302, SETUP_URL)
    assert client.get("/billing/payouts/onboarding/").url == SETUP_URL
    assert client.get("/dashboard/").status_code == 200  # the rest of the site stays open

    api = _token_client(api_client, workshop_bob)
    refused = api.put(
        "/api/v1/billing/bank-account/",
        {"holder_name": "Bob", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
        format="json",
    )
    assert refused.status_code == 403
    assert error_of(refused)["message"] == MONEY_REFUSAL
    assert not hasattr(workshop_bob.memberships.get().organization, "bank_account")

    give_second_factor(workshop_bob)
    assert client.get("/billing/bank-account/").status_code == 200
    assert api.get("/api/v1/billing/bank-account/").status_code in (200, 404)


def test_recovery_codes_alone_are_not_a_second_factor(client, operator_without_factor):
    Authenticator.objects.create(
        user=operator_without_factor,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "00" * 20, "used_mask": 0},
    )
    client.force_login(operator_without_factor)
    assert client.get("/dashboard/").url == SETUP_URL


def test_the_requirement_can_be_switched_off(client, settings, operator_without_factor):
    settings.MFA_REQUIRED_FOR_OPERATORS = False
    client.force_login(operator_without_factor)
    assert client.get("/dashboard/").status_code == 200


def test_an_operator_sets_up_an_authenticator_app_and_then_reaches_the_console(
    client, operator_without_factor
):
    assert _sign_in(client, operator_without_factor).status_code == 302
    assert client.get("/dashboard/").url == SETUP_URL
    # Changing how one signs in asks for the password again first (allauth).
    assert client.get(reverse("mfa_activate_totp")).url.startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for apps that cannot scan the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=operator_without_factor).exists()

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert activated.status_code == 302
    types = set(
        Authenticator.objects.filter(user=operator_without_factor).values_list("type", flat=True)
    )
    assert types == {"totp", "recovery_codes"}
    assert client.get("/dashboard/").status_code == 200


def test_with_a_second_factor_a_password_alone_does_not_sign_in(client, operator_olga):
    response = _sign_in(client, operator_olga)
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/dashboard/").status_code == 302  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert right.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_recovery_code_signs_in_once(client, operator_olga):
    codes = RecoveryCodes.activate(operator_olga).generate_codes()
    _sign_in(client, operator_olga)
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    client.logout()
    _sign_in(client, operator_olga)
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200  # used up


def test_everyone_is_offered_second_factors_from_the_account_menu(client, customer_alice):
    client.force_login(customer_alice)
    assert 'href="/accounts/2fa/"' in client.get("/dashboard/").content.decode()
    page = client.get("/accounts/2fa/").content.decode()
    assert "Authenticator App" in page
    assert "Security Keys" in page
    assert "Recovery Codes" in page
