"""The order page offers its customer no completing button the service would refuse: while a
required document is missing, the buttons are shown disabled with the reason in words."""

import pytest
from django.urls import reverse

from marketplace.orders.models import Order
from marketplace.quality.models import QualityRequirement
from marketplace.quality.services import quality_file_add

from .conftest import PDF, upload

pytestmark = pytest.mark.django_db

REASON = "The order cannot be completed before its inspection report is uploaded."


def _page(client, world, status: str) -> str:
    Order.objects.filter(pk=world.order.pk).update(status=status)
    client.force_login(world.alice)
    response = client.get(f"/orders/{world.order.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_delivered_order_missing_a_document_shows_complete_disabled_with_the_reason(
    client, world
):
    """Before: the button was offered and its press answered with an error."""
    complete_url = reverse("order_complete", args=[world.order.pk])
    html = _page(client, world, "delivered")
    assert complete_url not in html
    assert (
        '<button type="button" disabled aria-describedby="completion-blocked">'
        "Accept the parts and complete the order</button>"
    ) in html
    assert REASON in html
    quality_file_add(
        user=world.bob, job=world.milled, kind="inspection_report", upload=upload("r.pdf", PDF)
    )
    html = _page(client, world, "delivered")
    assert f'action="{complete_url}"' in html
    assert REASON not in html
    assert "disabled" not in html.split('class="order-actions"')[1].split("</div>")[0]


def test_a_shipped_order_missing_a_document_may_be_received_but_not_accepted(client, world):
    html = _page(client, world, "shipped")
    actions = html.split('class="order-actions"')[1].split("</div>")[0]
    assert 'name="accept"' not in actions
    assert "disabled" in actions
    assert REASON in actions
    assert "I received the parts (inspect first)</button>" in actions


def test_the_reason_names_every_missing_document(client, world):
    QualityRequirement.objects.create(order=world.order, kind="material_certificate")
    html = _page(client, world, "delivered")
    assert (
        "The order cannot be completed before its inspection report and material certificate"
        " are uploaded."
    ) in html
