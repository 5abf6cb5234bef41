"""The organization's webhook pages: owners and admins register, edit, ping and read the log."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.accounts.webhooks.receiver import running_receiver
from tests.accounts.webhooks.story import endpoint_for
from tests.factories import MembershipFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(url: str, *event_types: str, **extra) -> dict:
    return {"url": url, "description": "", "event_types": list(event_types), **extra}


def test_an_owner_adds_an_endpoint_and_sees_the_secret_only_once(customer_alice):
    browser = _browser(customer_alice)
    organization = organization_of(customer_alice)
    page = reverse("webhook_endpoint_list", args=[organization.pk])
    assert "order.paid" in browser.get(page).content.decode()
    response = browser.post(
        page, _form("https://erp.acme.example/hooks", "order.paid", "job.offered", is_active="on")
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook_endpoint_detail", args=[endpoint.pk])
    first = browser.get(response["Location"]).content.decode()
    assert endpoint.secret in first
    assert endpoint.secret not in browser.get(response["Location"]).content.decode()
    assert endpoint.event_types == ["job.offered", "order.paid"]
    assert endpoint.created_by == customer_alice


def test_a_refused_url_is_a_400_with_its_reason_and_saves_nothing(customer_alice):
    page = reverse("webhook_endpoint_list", args=[organization_of(customer_alice).pk])
    response = _browser(customer_alice).post(page, _form("http://10.0.0.8/hook", "order.paid"))
    assert response.status_code == 400
    assert "private address 10.0.0.8" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_plain_member_and_a_stranger_cannot_open_the_pages(customer_alice, workshop_bob):
    organization = organization_of(customer_alice)
    member = MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user
    endpoint = endpoint_for(customer_alice, "https://erp.acme.example/hooks")
    list_page = reverse("webhook_endpoint_list", args=[organization.pk])
    detail = reverse("webhook_endpoint_detail", args=[endpoint.pk])
    assert _browser(member).get(list_page).status_code == 403
    assert _browser(member).get(detail).status_code == 404
    assert _browser(workshop_bob).get(list_page).status_code == 404
    assert _browser(workshop_bob).post(detail, {"action": "delete"}).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_an_owner_edits_rotates_and_deletes(customer_alice):
    endpoint = endpoint_for(customer_alice, "https://erp.acme.example/hooks")
    old_secret = endpoint.secret
    browser = _browser(customer_alice)
    detail = reverse("webhook_endpoint_detail", args=[endpoint.pk])
    browser.post(detail, _form("https://mes.acme.example/in", "machine.down", action="update"))
    endpoint.refresh_from_db()
    assert endpoint.url == "https://mes.acme.example/in"
    assert endpoint.event_types == ["machine.down"]
    assert endpoint.is_active is False  # the box was left unticked
    rotated = browser.post(detail, {"action": "rotate"}, follow=True).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret
    assert endpoint.secret in rotated
    browser.post(detail, {"action": "delete"})
    assert not WebhookEndpoint.objects.exists()


def test_ping_send_again_and_a_paginated_log(
    customer_alice, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    browser = _browser(customer_alice)
    with running_receiver() as receiver:
        endpoint = endpoint_for(customer_alice, receiver.url)
        detail = reverse("webhook_endpoint_detail", args=[endpoint.pk])
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(detail, {"action": "ping"})
        ping = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(reverse("webhook_delivery_redeliver", args=[ping.pk]))
    assert len(receiver.requests) == 2
    for _ in range(30):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id="e", event_type="order.paid", api_version="v", payload={}
        )
    first_page = browser.get(detail).content.decode()
    assert "Page 1 of 2" in first_page
    second_page = browser.get(detail, {"page": 2}).content.decode()
    assert second_page.count("Send again") == 32 - 25
    assert "200" in second_page
