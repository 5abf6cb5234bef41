"""Billing's web routes (the API lives in billing.api.urls)."""

from django.urls import path

from billing import views
from billing.webhooks import stripe_connect_webhook, stripe_webhook

urlpatterns = [
    path(
        "billing/payments/<int:payment_id>/confirm/",
        views.payment_confirm_manual,
        name="payment_confirm_manual",
    ),
    path("billing/statements/", views.statement_list, name="billing_statements"),
    path(
        "billing/payouts/onboarding/",
        views.connect_onboarding,
        name="billing_connect_onboarding",
    ),
    path(
        "billing/statements/orders/<int:order_id>/",
        views.statement_detail,
        name="billing_statement_detail",
    ),
    path(
        "billing/statements/orders/<int:order_id>/pdf/",
        views.statement_pdf,
        name="billing_statement_pdf",
    ),
    path("billing/settlements/", views.settlement_list, name="billing_settlements"),
    path(
        "billing/settlements/<int:run_id>/",
        views.settlement_detail,
        name="billing_settlement_detail",
    ),
    path(
        "billing/settlements/<int:run_id>/retry/",
        views.settlement_retry,
        name="billing_settlement_retry",
    ),
    path(
        "billing/settlements/<int:run_id>/bank.csv",
        views.settlement_csv,
        name="billing_settlement_csv",
    ),
    path("billing/webhooks/stripe/", stripe_webhook, name="billing-stripe-webhook"),
    path(
        "billing/webhooks/stripe/connect/",
        stripe_connect_webhook,
        name="billing-stripe-connect-webhook",
    ),
]
