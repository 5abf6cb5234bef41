"""The fake Stripe behaves like Stripe for the marketplace flow, through the real SDK."""

# The fixtures are imported here until tests/conftest.py loads tests.fakestripe.fixtures.
# ruff: noqa: F811

import json
import urllib.error
import urllib.request

import pytest
import stripe

from tests.fakestripe.fixtures import (  # noqa: F401
    fake_stripe,
    fake_stripe_server,
    stripe_client,
)

RETURN_URL = "http://127.0.0.1:9/onboarding/done"
REFRESH_URL = "http://127.0.0.1:9/onboarding/again"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def visit(url: str) -> tuple[int, str]:
    """GET url like a browser would, but report the redirect instead of following it."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Location"]
    raise AssertionError("expected a redirect")


def paid_charge(client, amount=10000, group="order_1"):
    customer = client.v1.customers.create(params={"email": "alice@example.com"})
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "transfer_group": group,
            "confirm": True,
        }
    )
    assert intent.status == "succeeded"
    return intent.latest_charge


def onboarded_account(client, fake, email="bob@workshop.example"):
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "FR",
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    fake.onboard(account.id)
    return account.id


def test_payment_intent_with_transfer_group_succeeds_with_a_test_card(stripe_client, fake_stripe):
    customer = stripe_client.v1.customers.create(params={"email": "alice@example.com"})
    intent = stripe_client.v1.payment_intents.create(
        params={
            "amount": 12345,
            "currency": "eur",
            "customer": customer.id,
            "transfer_group": "order_42",
            "metadata": {"order": "42"},
        }
    )
    assert intent.status == "requires_payment_method"
    intent = stripe_client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa"}
    )
    assert intent.status == "succeeded"
    assert intent.transfer_group == "order_42"
    assert isinstance(intent.latest_charge, str)  # an id, as Stripe returns it
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount, charge.paid, charge.transfer_group) == (12345, True, "order_42")
    (event,) = fake_stripe.events_of("payment_intent.succeeded")
    assert event["data"]["object"]["transfer_group"] == "order_42"
    assert stripe_client.v1.events.retrieve(event["id"]).type == "payment_intent.succeeded"


@pytest.mark.parametrize("card", ["pm_card_chargeCustomerFail", "pm_card_chargeDeclined"])
def test_a_declined_card_raises_a_card_error(stripe_client, card):
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.create(
            params={"amount": 500, "currency": "eur", "payment_method": card, "confirm": True}
        )
    assert declined.value.code == "card_declined"


def test_account_link_onboards_the_account_and_sends_account_updated(stripe_client, fake_stripe):
    fake_stripe.add_webhook_endpoint(fake_stripe.sink_url("connect"), events=["account.updated"])
    account = stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "country": "DE",
            "email": "bob@workshop.example",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.requirements.currently_due
    link = stripe_client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(fake_stripe.api_base)

    assert visit(link.url) == (302, RETURN_URL)

    account = stripe_client.v1.accounts.retrieve(account.id)
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        True,
        True,
        True,
    )
    assert account.capabilities["transfers"] == "active"
    assert account.requirements.currently_due == []
    (headers, body) = fake_stripe.received("connect")[0]
    event = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], fake_stripe.webhook_secret
    )
    assert (event.type, event.account, event.data.object.id) == (
        "account.updated",
        account.id,
        account.id,
    )
    # Links are single use: a second visit goes to refresh_url.
    assert visit(link.url) == (302, REFRESH_URL)


def test_a_retried_transfer_with_the_same_idempotency_key_transfers_once(
    stripe_client, fake_stripe
):
    charge = paid_charge(stripe_client)
    bob = onboarded_account(stripe_client, fake_stripe)
    params = {
        "amount": 6000,
        "currency": "eur",
        "destination": bob,
        "transfer_group": "order_1",
        "source_transaction": charge,
    }
    first = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "s1-bob"})
    again = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "s1-bob"})
    assert first.id == again.id
    assert first.id.startswith("tr_")
    assert (first.object, first.amount, first.currency, first.destination) == (
        "transfer",
        6000,
        "eur",
        bob,
    )
    assert (first.source_transaction, first.transfer_group) == (charge, "order_1")
    assert (first.amount_reversed, first.reversed, first.reversals.total_count) == (0, False, 0)
    listed = stripe_client.v1.transfers.list(params={"transfer_group": "order_1"})
    assert [t.id for t in listed.data] == [first.id]
    assert len(fake_stripe.events_of("transfer.created")) == 1
    balance = stripe_client.v1.balance.retrieve(options={"stripe_account": bob})
    assert (balance.available[0].amount, balance.available[0].currency) == (6000, "eur")


def test_the_same_idempotency_key_with_other_parameters_is_refused(stripe_client, fake_stripe):
    stripe_client.v1.customers.create(
        params={"email": "a@x.example"}, options={"idempotency_key": "k"}
    )
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.customers.create(
            params={"email": "b@x.example"}, options={"idempotency_key": "k"}
        )


def test_transfers_cannot_exceed_what_is_left_of_the_source_charge(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client, amount=10000)
    bob = onboarded_account(stripe_client, fake_stripe)
    carol = onboarded_account(stripe_client, fake_stripe, email="carol@example.com")
    stripe_client.v1.transfers.create(
        params={"amount": 7000, "currency": "eur", "destination": bob, "source_transaction": charge}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.transfers.create(
            params={
                "amount": 3001,
                "currency": "eur",
                "destination": carol,
                "source_transaction": charge,
            }
        )
    assert refused.value.code == "balance_insufficient"
    stripe_client.v1.transfers.create(
        params={
            "amount": 3000,
            "currency": "eur",
            "destination": carol,
            "source_transaction": charge,
        }
    )


def test_transfers_need_an_onboarded_destination_and_a_real_charge(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client)
    pending = stripe_client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    with pytest.raises(stripe.InvalidRequestError) as not_ready:
        stripe_client.v1.transfers.create(
            params={"amount": 100, "currency": "eur", "destination": pending.id}
        )
    assert not_ready.value.code == "insufficient_capabilities_for_transfer"
    bob = onboarded_account(stripe_client, fake_stripe)
    with pytest.raises(stripe.InvalidRequestError) as no_charge:
        stripe_client.v1.transfers.create(
            params={
                "amount": 100,
                "currency": "eur",
                "destination": bob,
                "source_transaction": "ch_doesnotexist",
            }
        )
    assert no_charge.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.create(
            params={
                "amount": 100,
                "currency": "usd",
                "destination": bob,
                "source_transaction": charge,
            }
        )


def test_a_failure_halfway_through_a_settlement_leaves_earlier_transfers_alone(
    stripe_client, fake_stripe
):
    charge = paid_charge(stripe_client)
    parties = [onboarded_account(stripe_client, fake_stripe, f"w{i}@x.example") for i in range(3)]
    fake_stripe.fail_next_transfer(parties[1])

    def pay(i):
        return stripe_client.v1.transfers.create(
            params={
                "amount": 1000,
                "currency": "eur",
                "destination": parties[i],
                "source_transaction": charge,
            },
            options={"idempotency_key": f"settlement-1-{i}"},
        )

    pay(0)
    with pytest.raises(stripe.APIError):
        pay(1)
    # Stripe replays a saved 500 for the same key; the next run needs a new key for it.
    with pytest.raises(stripe.APIError):
        pay(1)
    pay(0)  # replayed, not transferred twice
    pay(2)
    transfers = stripe_client.v1.transfers.list(params={"destination": parties[0]}).data
    assert len(transfers) == 1
    assert not stripe_client.v1.transfers.list(params={"destination": parties[1]}).data


def test_a_lost_response_is_recovered_by_retrying_with_the_same_key(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client)
    bob = onboarded_account(stripe_client, fake_stripe)
    params = {"amount": 1000, "currency": "eur", "destination": bob, "source_transaction": charge}
    fake_stripe.fail_next_transfer(bob, "response_lost")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "t-1"})
    fake_stripe.fail_next_transfer(bob, "connection")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "t-2"})
    replayed = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "t-1"})
    fresh = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": "t-2"})
    listed = stripe_client.v1.transfers.list(params={"destination": bob}).data
    assert sorted(t.id for t in listed) == sorted({replayed.id, fresh.id})
    assert len(listed) == 2


def test_an_injected_error_code_is_raised_once(stripe_client, fake_stripe):
    bob = onboarded_account(stripe_client, fake_stripe)
    paid_charge(stripe_client)
    fake_stripe.fail_next_transfer(bob, "account_invalid")
    params = {"amount": 100, "currency": "eur", "destination": bob}
    with pytest.raises(stripe.InvalidRequestError) as failed:
        stripe_client.v1.transfers.create(params=params)
    assert failed.value.code == "account_invalid"
    assert stripe_client.v1.transfers.create(params=params).amount == 100


def test_reversals_cannot_exceed_what_is_left_of_the_transfer(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client)
    bob = onboarded_account(stripe_client, fake_stripe)
    transfer = stripe_client.v1.transfers.create(
        params={"amount": 5000, "currency": "eur", "destination": bob, "source_transaction": charge}
    )
    reversal = stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 2000})
    assert reversal.id.startswith("trr_")
    assert (reversal.object, reversal.amount, reversal.transfer) == (
        "transfer_reversal",
        2000,
        transfer.id,
    )
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 3001})
    stripe_client.v1.transfers.reversals.create(transfer.id)  # the rest
    transfer = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed, transfer.reversals.total_count) == (
        5000,
        True,
        2,
    )


def test_a_reversal_fails_when_the_connected_account_has_paid_out(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client)
    bob = onboarded_account(stripe_client, fake_stripe)
    transfer = stripe_client.v1.transfers.create(
        params={"amount": 5000, "currency": "eur", "destination": bob, "source_transaction": charge}
    )
    fake_stripe.pay_out(bob, 4500, "eur")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 1000})
    assert refused.value.code == "balance_insufficient"
    stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 500})


def test_refunds_beyond_the_charge_amount_are_refused(stripe_client, fake_stripe):
    charge = paid_charge(stripe_client, amount=1000)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"charge": charge, "amount": 1001})
    stripe_client.v1.refunds.create(params={"charge": charge, "amount": 600})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"charge": charge, "amount": 401})
    stripe_client.v1.refunds.create(params={"charge": charge, "reason": "requested_by_customer"})
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"charge": charge})
    assert again.value.code == "charge_already_refunded"
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 1000


def test_webhook_signatures_verify_and_a_one_byte_change_is_rejected(fake_stripe):
    body, headers = fake_stripe.webhook_request(
        "payment_intent.succeeded", {"id": "pi_123", "object": "payment_intent"}
    )
    event = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], fake_stripe.webhook_secret
    )
    assert event.data.object.id == "pi_123"
    tampered = body.replace(b"pi_123", b"pi_124")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            tampered, headers["Stripe-Signature"], fake_stripe.webhook_secret
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")
    stale = fake_stripe.sign(body, timestamp=1_000_000_000)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, fake_stripe.webhook_secret)


def test_events_are_delivered_signed_to_registered_endpoints(stripe_client, fake_stripe):
    fake_stripe.add_webhook_endpoint(fake_stripe.sink_url())
    paid_charge(stripe_client)
    fake_stripe.send_event("charge.dispute.created", {"id": "dp_1", "object": "dispute"})
    received = fake_stripe.received()
    types = [json.loads(body)["type"] for _, body in received]
    assert types == ["customer.created", "payment_intent.succeeded", "charge.dispute.created"]
    for headers, body in received:
        stripe.Webhook.construct_event(
            body, headers["Stripe-Signature"], fake_stripe.webhook_secret
        )
    assert all(d["status"] == 200 for d in fake_stripe.deliveries)


def test_the_module_level_stripe_configuration_can_point_at_the_fake(fake_stripe):
    with fake_stripe.global_stripe():
        customer = stripe.Customer.create(email="dave@example.com")
        assert stripe.Customer.retrieve(customer.id).email == "dave@example.com"


def test_each_test_starts_from_an_empty_fake(stripe_client):
    assert stripe_client.v1.customers.list().data == []
    assert stripe_client.v1.accounts.list().data == []
