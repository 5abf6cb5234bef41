"""Billing's web routes (the API lives in billing.api.urls)."""

from django.urls import path

from billing.views import payment_confirm_manual
from billing.webhooks import stripe_webhook

urlpatterns = [
    path(
        "billing/payments/<int:payment_id>/confirm/",
        payment_confirm_manual,
        name="payment_confirm_manual",
    ),
    path("billing/webhooks/stripe/", stripe_webhook, name="billing-stripe-webhook"),
]
