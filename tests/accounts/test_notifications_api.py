"""Notifications through the API: listed for their owner only, marked read, muted from e-mail."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import Notification, NotificationPreference
from accounts.services import notify
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"


def _notify(user, capture, kind="order.paid", title="Order CF-1 paid"):
    with capture(execute=True):
        notify(users=[user], kind=kind, title=title, body="Production starts.", url="/orders/1/")
    return Notification.objects.filter(user=user).latest("pk")


def test_anonymous_callers_get_401():
    assert APIClient().get(f"{API}/").status_code == 401
    assert APIClient().post(f"{API}/read-all/").status_code == 401
    assert APIClient().get(f"{API}/preferences/").status_code == 401


def test_notifications_written_by_notify_are_listed_newest_first_for_their_owner(
    customer_alice, workshop_bob, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _notify(customer_alice, capture, title="First")
    _notify(customer_alice, capture, kind="order.shipped", title="Second")
    _notify(workshop_bob, capture, title="Bob's")
    body = api_client_for(customer_alice).get(f"{API}/").json()
    assert body["count"] == 2
    assert [n["title"] for n in body["results"]] == ["Second", "First"]
    assert body["results"][0]["kind"] == "order.shipped"
    assert body["results"][0]["url"] == "/orders/1/"
    assert body["results"][0]["is_read"] is False


def test_one_notification_is_marked_read_and_the_unread_filter_follows(
    customer_alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _notify(customer_alice, capture)
    second = _notify(customer_alice, capture)
    client = api_client_for(customer_alice)
    response = client.post(f"{API}/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    read_at = response.json()["read_at"]
    assert client.post(f"{API}/{first.pk}/read/").json()["read_at"] == read_at

    unread = client.get(f"{API}/", {"unread": "true"}).json()["results"]
    assert [n["id"] for n in unread] == [second.pk]
    read = client.get(f"{API}/", {"unread": "false"}).json()["results"]
    assert [n["id"] for n in read] == [first.pk]


def test_read_all_marks_only_the_callers_unread_notifications(
    customer_alice, workshop_bob, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for _ in range(3):
        _notify(customer_alice, capture)
    bobs = _notify(workshop_bob, capture)
    client = api_client_for(customer_alice)
    assert client.post(f"{API}/read-all/").json() == {"marked": 3}
    assert client.post(f"{API}/read-all/").json() == {"marked": 0}
    assert client.get(f"{API}/", {"unread": "true"}).json()["count"] == 0
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_another_users_notification_is_not_found(
    customer_alice, workshop_bob, django_capture_on_commit_callbacks
):
    bobs = _notify(workshop_bob, django_capture_on_commit_callbacks)
    response = api_client_for(customer_alice).post(f"{API}/{bobs.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "No such notification."}
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_preferences_default_to_every_email_and_are_replaced_by_put(customer_alice):
    client = api_client_for(customer_alice)
    assert client.get(f"{API}/preferences/").json() == {"email_enabled": True, "muted_kinds": []}
    response = client.put(
        f"{API}/preferences/",
        {"email_enabled": True, "muted_kinds": ["order.message", "job"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"email_enabled": True, "muted_kinds": ["job", "order.message"]}
    client.put(f"{API}/preferences/", {"email_enabled": False, "muted_kinds": []}, format="json")
    preference = NotificationPreference.objects.get(user=customer_alice)
    assert preference.email_enabled is False
    assert preference.muted_kinds == []


def test_a_muted_kind_that_is_not_a_kind_is_refused(customer_alice):
    response = api_client_for(customer_alice).put(
        f"{API}/preferences/", {"muted_kinds": ["Order Paid!"]}, format="json"
    )
    assert response.status_code == 400
    assert "muted_kinds" in response.json()["error"]["fields"]
    assert not NotificationPreference.objects.exists()


def test_muted_kinds_are_not_emailed_but_still_listed(
    customer_alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client = api_client_for(customer_alice)
    client.put(f"{API}/preferences/", {"muted_kinds": ["order.message"]}, format="json")

    _notify(customer_alice, capture, kind="order.message", title="New message on CF-1")
    assert mail.outbox == []
    _notify(customer_alice, capture, kind="order.paid", title="Order CF-1 paid")
    assert [m.subject for m in mail.outbox] == ["Order CF-1 paid"]

    titles = [n["title"] for n in client.get(f"{API}/").json()["results"]]
    assert titles == ["Order CF-1 paid", "New message on CF-1"]


def test_the_list_takes_a_bounded_number_of_queries(
    customer_alice, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = api_client_for(customer_alice)
    _notify(customer_alice, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(4):
        client.get(f"{API}/")
    for _ in range(10):
        _notify(customer_alice, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/").json()["count"] == 11
