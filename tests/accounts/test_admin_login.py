"""The Django admin signs in through the site's own sign-in (its limits, the second factor),
and an operator reaches it only from a session that has answered the second factor."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.second_factor import ANSWER_URL, SETUP_URL
from tests.factories import PASSWORD, UserFactory
from tests.helpers import TEST_TOTP_SECRET, give_second_factor, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_operator(operator_olga):
    operator_olga.is_staff = True
    operator_olga.is_superuser = True
    operator_olga.save(update_fields=["is_staff", "is_superuser"])
    return operator_olga


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_page_sends_people_to_the_sites_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=%2Fadmin%2F" in response.url


def test_the_admin_login_form_signs_no_one_in_whatever_the_password(client):
    """Before: the admin's own form signed a superuser in with a password alone, unlimited."""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for attempt in range(15):
        client.post("/admin/login/", {"username": superuser.email, "password": f"wrong{attempt}"})
    response = client.post("/admin/login/", {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not _signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_an_operator_signs_in_with_password_and_code_and_reaches_the_admin(client, staff_operator):
    signed = client.post(
        reverse("account_login"),
        {"login": staff_operator.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert signed.url.startswith(reverse("mfa_authenticate"))
    assert client.get("/admin/").status_code == 302  # the password alone is not a session
    answered = client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert answered.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_operator_session_that_has_not_answered_the_factor_must_answer_it(
    client, staff_operator
):
    client.force_login(staff_operator)  # a session opened without the challenge
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == f"{ANSWER_URL}?next=%2Fadmin%2Faccounts%2Fuser%2F"
    assert client.get("/dashboard/").status_code == 200  # the console itself stays open
    wrong = client.post(ANSWER_URL, {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302
    right = client.post(
        f"{ANSWER_URL}?next=/admin/accounts/user/", {"code": totp_code(TEST_TOTP_SECRET)}
    )
    assert (right.status_code, right.url) == (302, "/admin/accounts/user/")
    assert client.get("/admin/accounts/user/").status_code == 200


def test_an_operator_without_a_factor_is_sent_to_set_one_up(client, staff_operator):
    Authenticator.objects.filter(user=staff_operator).delete()
    client.force_login(staff_operator)
    response = client.get("/admin/")
    assert (response.status_code, response.url) == (302, SETUP_URL)


def test_a_recovery_code_answers_the_factor_for_the_admin(client, staff_operator):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(staff_operator).generate_codes()
    client.post(reverse("account_login"), {"login": staff_operator.email, "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin(client, customer_alice):
    client.force_login(customer_alice)
    assert client.get("/admin/login/").status_code == 403


def test_a_staff_superuser_of_no_organization_must_answer_a_factor_for_the_admin(client):
    """Before: only operators were asked; a superuser of no organization reached every model
    of the admin from a session that had answered nothing."""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    give_second_factor(superuser)
    client.force_login(superuser)
    response = client.get("/admin/accounts/user/")
    assert (response.status_code, response.url) == (
        302,
        f"{ANSWER_URL}?next=%2Fadmin%2Faccounts%2Fuser%2F",
    )
    right = client.post(
        f"{ANSWER_URL}?next=/admin/accounts/user/", {"code": totp_code(TEST_TOTP_SECRET)}
    )
    assert (right.status_code, right.url) == (302, "/admin/accounts/user/")
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_staff_user_without_a_factor_is_sent_to_set_one_up_before_the_admin(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert (response.status_code, response.url) == (302, SETUP_URL)
    assert client.get("/dashboard/").status_code == 200  # the rest of the site stays open


def test_a_staff_user_signing_in_with_password_and_code_reaches_the_admin(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    give_second_factor(superuser)
    login = {"login": superuser.email, "password": PASSWORD, "next": "/admin/"}
    signed = client.post(reverse("account_login"), login)
    assert signed.url.startswith(reverse("mfa_authenticate"))
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert client.get("/admin/").status_code == 200


def test_the_rule_switched_off_lets_staff_into_the_admin(client, settings):
    settings.MFA_REQUIRED_FOR_OPERATORS = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
