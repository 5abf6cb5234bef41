from django.urls import path

from billing.api import views

urlpatterns = [
    path("billing/balances/", views.BalancesView.as_view(), name="api-billing-balances"),
    path("billing/payments/", views.PaymentListView.as_view(), name="api-billing-payments"),
    path("billing/payouts/", views.PayoutListView.as_view(), name="api-billing-payouts"),
]
