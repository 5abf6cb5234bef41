"""Stripe Connect: the onboarding page, account.updated on the Connect endpoint, and the
transfers capability (not payouts_enabled) as what makes an account able to receive money."""

import json
import urllib.error
import urllib.request

import pytest
from django.urls import include, path

from billing import services
from billing.models import ConnectedAccount, Payout, WebhookEvent
from billing.money import Money
from config import urls as config_urls
from tests.fakestripe import sign
from tests.helpers import give_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_stripe_connect")]

urlpatterns = [path("", include("billing.urls")), *config_urls.urlpatterns]

PAGE = "/billing/payouts/onboarding/"
CONNECT_SECRET = "whsec_connect_fake"


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.api_base
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def visit(url: str) -> str:
    """Follow Stripe's hosted onboarding like a browser; where it sends the user back."""
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=5)
    assert raised.value.code == 302
    return raised.value.headers["Location"]


def test_an_owner_onboards_from_the_page_and_comes_back_to_its_state(
    stripe_settings, fake_stripe, client, workshop_bob
):
    give_second_factor(workshop_bob)  # payout set-up needs one (accounts.second_factor)
    client.force_login(workshop_bob)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Set up payouts with Stripe" in page.content

    started = client.post(PAGE)
    assert started.status_code == 302
    link = started["Location"]
    assert link.startswith(fake_stripe.api_base)
    account = ConnectedAccount.objects.get()
    assert account.status == ConnectedAccount.Status.PENDING

    back = visit(link)
    assert back == f"http://testserver{PAGE}?return=1"
    shown = client.get(back)

    assert shown.status_code == 200
    assert b'data-status="active"' in shown.content
    account.refresh_from_db()
    assert (account.status, account.transfers_active) == ("active", True)

    # The link is used up: Stripe sends the user to the refresh URL, which opens a new one.
    refresh = visit(link)
    assert refresh == f"http://testserver{PAGE}?refresh=1"
    again = client.get(refresh)
    assert again.status_code == 302
    assert again["Location"].startswith(fake_stripe.api_base)
    assert again["Location"] != link
    assert ConnectedAccount.objects.count() == 1


def test_a_customer_has_no_payout_page(stripe_settings, client, customer_alice):
    client.force_login(customer_alice)

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE).status_code == 403
    assert not ConnectedAccount.objects.exists()


def onboarded(user, fake_stripe):
    organization = user.memberships.get().organization
    url = services.connected_account_onboard(
        user=user,
        organization=organization,
        refresh_url="http://127.0.0.1:9/again",
        return_url="http://127.0.0.1:9/done",
    )
    visit(url)
    return services.connected_account_sync(account=organization.connected_account)


def test_account_updated_on_the_connect_endpoint_tracks_the_transfers_capability(
    stripe_settings, fake_stripe, client, workshop_bob, django_capture_on_commit_callbacks
):
    account = onboarded(workshop_bob, fake_stripe)
    assert account.status == "active"

    fake_stripe.set_account(account.provider_account_id, transfers="inactive")
    event = fake_stripe.events_of("account.updated")[-1]
    assert event["account"] == account.provider_account_id
    body = json.dumps(event).encode()
    signature = fake_stripe.sign(body)  # the platform secret: wrong for this endpoint
    assert (
        client.post(
            "/billing/webhooks/stripe/connect/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        ).status_code
        == 400
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/billing/webhooks/stripe/connect/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": sign(body, secret=CONNECT_SECRET)},
        )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "processed"
    account.refresh_from_db()
    # payouts_enabled is still true at Stripe, but no transfer may go there now.
    assert (account.payouts_enabled, account.transfers_active) == (True, False)
    assert account.status == ConnectedAccount.Status.RESTRICTED
    assert not account.can_receive_transfers


def test_a_transfer_goes_to_an_account_whose_bank_payouts_are_paused(
    stripe_settings, fake_stripe, workshop_bob
):
    account = onboarded(workshop_bob, fake_stripe)
    fake_stripe.set_account(account.provider_account_id, payouts_enabled=False)
    account = services.connected_account_sync(account=account)
    assert account.can_receive_transfers
    assert not account.payouts_enabled
    payment, _ = services.payment_start(
        order_id=61,
        reference="ORD-61",
        amount=Money(5000, "EUR"),
        payer=None,
        customer_email="alice@example.com",
        payment_method="pm_card_visa",
    )
    payout = services.payout_create(
        party=account.organization,
        amount=Money(3000, "EUR"),
        idempotency_key="share:61:bob",
        order_id=61,
        source_payment=payment,
        provider="stripe",
    )

    assert services.payout_execute(payout=payout).status == Payout.Status.PAID
