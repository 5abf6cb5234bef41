"""The operator's dispute form and API, and the customer's one-click accept on delivery."""

import pytest
from django.urls import reverse

from billing.selectors import held_for_order
from marketplace.orders.disputes import dispute_money
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import DisputeDecision
from tests.billing.escrow_story import (
    advance,
    disputed,
    paid_order,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]


def test_the_operator_settles_from_the_order_page_with_amounts(
    client, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, _ = disputed(
        small_network, customer_alice, operator_olga, capture, max_receipts=1, more=True
    )
    client.force_login(operator_olga)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="dispute-settlement"' in page
    money = dispute_money(order=order)
    for party in money.parties:
        assert f'value="{party.party_id}"' in page

    url = reverse("order_resolve_dispute", args=[order.pk])
    response = client.post(
        url, {"outcome": "complete", "reason": "ok", "refund": "12,50", "parties_listed": "1"}
    )
    assert response.status_code == 302
    messages = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "The refund must be an amount in EUR" in messages
    for odd in ("١٠٠", "1_000", "1e3", "-5"):
        client.post(url, {"outcome": "complete", "reason": "ok", "refund": odd})
    client.post(url, {"outcome": "complete", "reason": "\u200b\u200b", "refund": "1.00"})
    assert not DisputeDecision.objects.exists()

    client.force_login(customer_alice)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="dispute-settlement"' not in page
    client.post(url, {"outcome": "complete", "reason": "mine"})
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED

    client.force_login(operator_olga)
    unpaid = [p for p in money.parties if not p.released][-1]
    paid = [p.party_id for p in money.parties if p is not unpaid and not p.released]
    with capture(execute=True):
        client.post(
            url,
            {
                "outcome": "complete",
                "reason": "One part is usable",
                "refund": "10.00",
                "parties_listed": "1",
                "paid": paid,
            },
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    decision = DisputeDecision.objects.get()
    assert decision.refund_minor >= 1000  # at least the unfinished step's share of the price
    assert unpaid.party_id not in decision.paid_parties
    assert held_for_order(order.pk).minor == 0
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "One part is usable" in page


def test_the_api_settles_a_dispute_for_operators_only_and_explains_bad_input(
    client, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, _ = disputed(small_network, customer_alice, operator_olga, capture, max_receipts=1)
    url = f"/api/v1/orders/{order.pk}/resolve/"
    client.force_login(customer_alice)
    assert client.post(url, {"outcome": "complete", "reason": "x"}).status_code == 403
    client.force_login(operator_olga)
    bad = client.post(
        url,
        {"outcome": "complete", "reason": "x", "refund_minor": -5, "paid_parties": ["x; drop"]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert {"refund_minor", "paid_parties"} <= set(bad.json()["error"]["fields"])
    too_much = client.post(
        url,
        {"outcome": "complete", "reason": "x", "refund_minor": 10**9},
        content_type="application/json",
    )
    assert too_much.status_code in (400, 409)
    assert "At most" in str(too_much.json())
    with capture(execute=True):
        done = client.post(
            url,
            {"outcome": "resume", "reason": "Redo the anodizing", "refund_minor": 0},
            content_type="application/json",
        )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "in_production"


def test_the_customer_accepts_on_delivery_and_the_order_completes_at_once(
    client, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order, _ = paid_order(small_network, customer_alice, operator_olga, capture)
    advance(order, small_network, customer_alice, capture)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    client.force_login(customer_alice)
    with capture(execute=True):
        client.post(reverse("order_confirm_delivery", args=[order.pk]), {"accept": "1"})
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert held_for_order(order.pk).minor == 0  # margins released, not after 14 days


def test_confirming_delivery_of_an_order_not_shipped_changes_nothing(
    client, small_network, customer_alice, operator_olga, django_capture_on_commit_callbacks
):
    """Before: a 409 came back after the last leg was marked received and prices released."""
    capture = django_capture_on_commit_callbacks
    order, _ = disputed(small_network, customer_alice, operator_olga, capture, receive=False)
    last = order.shipments.filter(destination=None).get()
    before = (last.status, held_for_order(order.pk))
    client.force_login(customer_alice)
    response = client.post(f"/api/v1/orders/{order.pk}/confirm-delivery/")
    assert response.status_code == 409
    last.refresh_from_db()
    assert (last.status, held_for_order(order.pk)) == before
