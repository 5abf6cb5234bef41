"""Billing's web routes (the API lives in billing.api.urls)."""

from django.urls import path

from billing.webhooks import stripe_webhook

urlpatterns = [
    path("billing/webhooks/stripe/", stripe_webhook, name="billing-stripe-webhook"),
]
