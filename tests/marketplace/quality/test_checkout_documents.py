"""Quality documents chosen at checkout: the tolerance classes' shown ticked and fixed, the
others ticked by the customer become the order's required documents, shown on the order; an
unknown kind is refused and nothing is placed."""

import pytest
from django.urls import reverse

from marketplace.orders.models import Order, OrderEvent, QuoteLine
from marketplace.quality.models import QualityRequirement
from tests.checkout_story import PARIS, checkout_url

pytestmark = pytest.mark.django_db


def test_the_review_offers_every_document_and_fixes_the_tolerance_classes(
    checkout_client, checkout_option
):
    page = checkout_client.get(checkout_url(checkout_option)).content.decode()
    assert 'name="quality_documents" value="inspection_report"' in page
    assert 'name="quality_documents" value="certificate_of_conformity"' in page

    QuoteLine.objects.filter(request=checkout_option.request).update(tolerance="precision")
    page = checkout_client.get(checkout_url(checkout_option)).content.decode()
    assert 'value="inspection_report"' not in page  # required, not a choice
    assert "(required: a line is made to the precision tolerance class)" in page


def test_ticked_documents_become_the_orders_requirements_and_show_on_the_order(
    checkout_client, checkout_option
):
    response = checkout_client.post(
        checkout_url(checkout_option),
        PARIS | {"quality_documents": ["certificate_of_conformity", "material_certificate"]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    order = Order.objects.get()
    assert set(QualityRequirement.objects.filter(order=order).values_list("kind", flat=True)) == {
        "certificate_of_conformity",
        "material_certificate",
    }
    assert OrderEvent.objects.filter(order=order, kind="quality.required").count() == 2
    page = checkout_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Certificate of conformity — <small>the customer asked for it</small>" in page
    assert "Material certificate — <small>the customer asked for it</small>" in page


def test_no_ticked_document_leaves_the_order_without_requirements(checkout_client, checkout_option):
    assert checkout_client.post(checkout_url(checkout_option), PARIS).status_code == 302
    assert not QualityRequirement.objects.exists()


def test_an_unknown_document_is_refused_and_nothing_is_placed(checkout_client, checkout_option):
    response = checkout_client.post(
        checkout_url(checkout_option),
        PARIS | {"quality_documents": ["material_certificate", "horoscope"]},
    )
    assert response.status_code == 400
    assert "Choose inspection report, certificate of conformity or material certificate." in (
        response.content.decode()
    )
    assert not Order.objects.exists()
    assert not QualityRequirement.objects.exists()
    # What was ticked stays ticked for the next try.
    assert 'value="material_certificate" checked' in response.content.decode()
