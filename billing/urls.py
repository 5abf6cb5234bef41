"""Billing's web routes (the API lives in billing.api.urls)."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from billing import invoice_views, vat_return_views, views
from billing.webhooks import stripe_connect_webhook, stripe_webhook

urlpatterns = [
    path(
        "billing/payments/<id:payment_id>/confirm/",
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
        "billing/statements/orders/<id:order_id>/",
        views.statement_detail,
        name="billing_statement_detail",
    ),
    path(
        "billing/statements/orders/<id:order_id>/pdf/",
        views.statement_pdf,
        name="billing_statement_pdf",
    ),
    path("billing/credit-notes/", views.credit_note_list, name="billing_credit_notes"),
    path(
        "billing/credit-notes/<id:credit_note_id>/pdf/",
        views.credit_note_download,
        name="billing_credit_note_pdf",
    ),
    path("billing/audit/", views.money_audit_page, name="billing_audit"),
    path("billing/documents/", invoice_views.document_list, name="billing_documents"),
    path("billing/vat-return/", vat_return_views.vat_return_page, name="billing_vat_return"),
    path(
        "billing/vat-return/csv/",
        vat_return_views.vat_return_download,
        name="billing_vat_return_csv",
    ),
    path(
        "billing/invoices/<id:invoice_id>/pdf/",
        invoice_views.invoice_download,
        name="billing_invoice_pdf",
    ),
    path("billing/settlements/", views.settlement_list, name="billing_settlements"),
    path(
        "billing/settlements/<id:run_id>/",
        views.settlement_detail,
        name="billing_settlement_detail",
    ),
    path(
        "billing/settlements/<id:run_id>/retry/",
        views.settlement_retry,
        name="billing_settlement_retry",
    ),
    path(
        "billing/settlements/<id:run_id>/sepa/",
        views.settlement_sepa,
        name="billing_settlement_sepa",
    ),
    path(
        "billing/bank-files/<id:file_id>/download/",
        views.bank_file_download,
        name="billing_bank_file_download",
    ),
    path(
        "billing/bank-files/<id:file_id>/mark-paid/",
        views.bank_file_mark_paid,
        name="billing_bank_file_mark_paid",
    ),
    path(
        "billing/payouts/<id:payout_id>/mark-paid/",
        views.payout_mark_paid,
        name="billing_payout_mark_paid",
    ),
    path("billing/bank-account/", views.bank_account, name="billing_bank_account"),
    path("billing/webhooks/stripe/", stripe_webhook, name="billing-stripe-webhook"),
    path(
        "billing/webhooks/stripe/connect/",
        stripe_connect_webhook,
        name="billing-stripe-connect-webhook",
    ),
]
