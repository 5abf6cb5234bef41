"""In-app notifications and e-mail preferences."""

import pytest
from django.core import mail

from accounts.models import NotificationPreference
from accounts.services import notify

pytestmark = pytest.mark.django_db


def test_a_notification_is_listed_and_mailed_unless_muted(
    client, customer_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[customer_alice], kind="order.paid", title="Order CF-1 paid", url="/orders/1/")
    assert mail.outbox[-1].subject == "Order CF-1 paid"
    NotificationPreference.objects.create(user=customer_alice, muted_kinds=["order"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[customer_alice], kind="order.shipped", title="Order CF-1 shipped")
    assert mail.outbox == []
    client.force_login(customer_alice)
    page = client.get("/notifications/").content.decode()
    assert "Order CF-1 paid" in page
    assert "Order CF-1 shipped" in page


def test_marking_all_as_read_clears_the_bell(client, customer_alice):
    notify(users=[customer_alice], kind="order.paid", title="Paid", email=False)
    client.force_login(customer_alice)
    assert 'class="badge unread">1<' in client.get("/dashboard/").content.decode()
    client.post("/notifications/", {"action": "read-all"})
    assert 'class="badge unread"' not in client.get("/dashboard/").content.decode()


def test_preferences_are_saved(client, customer_alice):
    client.force_login(customer_alice)
    client.post("/notifications/", {"muted": ["job", "unknown-kind"]})
    preference = NotificationPreference.objects.get(user=customer_alice)
    assert preference.email_enabled is False
    assert preference.muted_kinds == ["job"]
