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
