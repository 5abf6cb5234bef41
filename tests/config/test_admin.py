"""Every model of the project has an admin screen, and each list page loads."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory
from tests.helpers import admin_sign_in

OUR_APPS = ("accounts", "marketplace", "billing")
MODELS = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model), f"{model.__name__} has no admin"


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_admin_list_page_loads(client, model):
    admin_sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


# Records the platform keeps as evidence: logs, acceptances, audit trails, quality records.
RECORDS = [
    "marketplace.DesignDownload",
    "marketplace.NdaAcceptance",
    "marketplace.QualityDownload",
    "marketplace.QualityFile",
    "marketplace.QualityRecord",
    "marketplace.QualityMeasurement",
    "marketplace.QualityRequirement",
    "marketplace.OrderEvent",
    "marketplace.DisputeDecision",
    "marketplace.MachineStatusChange",
    "marketplace.ProcessedEvent",
    "accounts.OperatorAction",
    "accounts.WebhookDelivery",
    "billing.LedgerTransaction",
    "billing.LedgerEntry",
    "billing.Invoice",
    "billing.ShareRecord",
]


@pytest.mark.django_db
@pytest.mark.parametrize("label", RECORDS)
def test_records_are_read_only_even_for_a_superuser(rf, label):
    model = apps.get_model(label)
    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    screen = admin.site._registry[model]
    assert not screen.has_add_permission(request)
    assert not screen.has_change_permission(request)
    assert not screen.has_delete_permission(request)
    assert screen.has_view_permission(request)


@pytest.mark.django_db
def test_an_nda_acceptance_cannot_be_deleted_in_the_admin(client, customer_alice, workshop_bob):
    from marketplace.designs.models import NdaAcceptance
    from tests.factories.designs import DesignRevisionFactory
    from tests.helpers import organization_of

    design = DesignRevisionFactory(design__organization=organization_of(customer_alice)).design
    acceptance = NdaAcceptance.objects.create(
        design=design,
        organization=organization_of(workshop_bob),
        user=workshop_bob,
        nda_hash="a" * 64,
        nda_text="Secret.",
    )
    admin_sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_ndaacceptance_delete", args=[acceptance.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert NdaAcceptance.objects.filter(pk=acceptance.pk).exists()
    page = client.get(reverse("admin:marketplace_ndaacceptance_change", args=[acceptance.pk]))
    assert page.status_code == 200
    assert b"deletelink" not in page.content
