from django.urls import path

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
        "billing/statements/orders/<int:order_id>/",
        views.OrderStatementView.as_view(),
        name="api-billing-statement-order",
    ),
    path(
        "billing/statements/orders/<int:order_id>/pdf/",
        views.StatementPdfView.as_view(),
        name="api-billing-statement-pdf",
    ),
    path(
        "billing/settlements/",
        views.SettlementRunListView.as_view(),
        name="api-billing-settlements",
    ),
    path(
        "billing/settlements/<int:run_id>/",
        views.SettlementRunDetailView.as_view(),
        name="api-billing-settlement",
    ),
    path(
        "billing/settlements/<int:run_id>/retry/",
        views.SettlementRunRetryView.as_view(),
        name="api-billing-settlement-retry",
    ),
    path(
        "billing/settlements/<int:run_id>/bank.csv",
        views.SettlementRunCsvView.as_view(),
        name="api-billing-settlement-csv",
    ),
]
