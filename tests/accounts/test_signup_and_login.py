"""Sign-up, e-mail verification, log-in, log-out and password reset through django-allauth."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link_in_last_mail() -> str:
    return re.search(r"http://\S+", mail.outbox[-1].body).group(0).replace("http://testserver", "")


def test_sign_up_sends_a_verification_mail_and_confirming_it_logs_the_user_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new.user@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.user@example.com")
    assert not user.emailaddress_set.get().verified
    assert mail.outbox[-1].to == ["new.user@example.com"]

    confirm_url = _link_in_last_mail()
    client.post(confirm_url)
    assert user.emailaddress_set.get().verified
    assert client.get(reverse("dashboard")).status_code == 200


def test_sign_up_with_a_taken_email_creates_nothing_and_tells_the_owner_by_mail(client):
    """The page does not reveal that the address is registered; the owner learns by e-mail."""
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("account_signup"),
        {"email": "Taken@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert mail.outbox[-1].to == ["taken@example.com"]
    assert "already" in mail.outbox[-1].body


def test_sign_up_with_a_weak_password_is_refused(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "weak@example.com", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()


def test_unverified_user_cannot_log_in_until_the_mail_is_confirmed(client):
    UserFactory(email="pending@example.com", verified=False)
    response = client.post(
        reverse("account_login"), {"login": "pending@example.com", "password": PASSWORD}
    )
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("dashboard")).status_code == 302


def test_log_in_with_email_and_log_out(client):
    UserFactory(email="member@example.com")
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_password_is_refused(client):
    UserFactory(email="member@example.com")
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="forgetful@example.com")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert mail.outbox[-1].to == ["forgetful@example.com"]
    link = _link_in_last_mail()
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new_password = "a-much-better-secret-42"
    client.post(form_url, {"password1": new_password, "password2": new_password})
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_change_requires_the_old_password(client):
    user = UserFactory(email="changer@example.com")
    client.force_login(user)
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "wrong",
            "password1": "new-secret-pass-9",
            "password2": "new-secret-pass-9",
        },
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "new-secret-pass-9",
            "password2": "new-secret-pass-9",
        },
    )
    user.refresh_from_db()
    assert user.check_password("new-secret-pass-9")
