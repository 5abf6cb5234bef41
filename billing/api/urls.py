from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from billing.api import views

urlpatterns = [
    path("billing/balances/", views.BalancesView.as_view(), name="api-billing-balances"),
    path("billing/payments/", views.PaymentListView.as_view(), name="api-billing-payments"),
    path("billing/payouts/", views.PayoutListView.as_view(), name="api-billing-payouts"),
    path(
        "billing/statements/",
        views.PeriodStatementView.as_view(),
        name="api-billing-statement-period",
    ),
    path(
        "billing/statements/orders/<id:order_id>/",
        views.OrderStatementView.as_view(),
        name="api-billing-statement-order",
    ),
    path(
        "billing/statements/orders/<id:order_id>/pdf/",
        views.StatementPdfView.as_view(),
        name="api-billing-statement-pdf",
    ),
    path(
        "billing/settlements/",
        views.SettlementRunListView.as_view(),
        name="api-billing-settlements",
    ),
    path(
        "billing/settlements/<id:run_id>/",
        views.SettlementRunDetailView.as_view(),
        name="api-billing-settlement",
    ),
    path(
        "billing/settlements/<id:run_id>/retry/",
        views.SettlementRunRetryView.as_view(),
        name="api-billing-settlement-retry",
    ),
    path(
        "billing/settlements/<id:run_id>/sepa/",
        views.SettlementRunSepaView.as_view(),
        name="api-billing-settlement-sepa",
    ),
    path(
        "billing/bank-files/<id:file_id>/",
        views.BankFileDetailView.as_view(),
        name="api-billing-bank-file",
    ),
    path(
        "billing/bank-files/<id:file_id>/export/",
        views.BankFileExportView.as_view(),
        name="api-billing-bank-file-export",
    ),
    path(
        "billing/bank-files/<id:file_id>/mark-paid/",
        views.BankFileMarkPaidView.as_view(),
        name="api-billing-bank-file-mark-paid",
    ),
    path(
        "billing/payouts/<id:payout_id>/mark-paid/",
        views.PayoutMarkPaidView.as_view(),
        name="api-billing-payout-mark-paid",
    ),
    path("billing/bank-account/", views.BankAccountView.as_view(), name="api-billing-bank-account"),
    path("billing/vat-return/", views.VatReturnView.as_view(), name="api-billing-vat-return"),
]
