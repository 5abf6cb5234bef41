"""Read-only billing API: each organization sees its balances, payments and payouts."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasActiveOrganization
from billing.api.serializers import BalanceSerializer, PaymentSerializer, PayoutSerializer
from billing.selectors import balances_for_organization, payments_visible_to, payouts_visible_to


def _organization(request):
    membership = getattr(request, "membership", None)
    return membership.organization if membership else None


class BalancesView(APIView):
    """The active organization's ledger accounts and their balances."""

    permission_classes = [HasActiveOrganization]

    @extend_schema(responses=BalanceSerializer(many=True))
    def get(self, request):
        rows = balances_for_organization(organization=_organization(request))
        return Response([BalanceSerializer.row(account, balance) for account, balance in rows])


class PaymentListView(generics.ListAPIView):
    """Payments made by the active organization (operators: all)."""

    serializer_class = PaymentSerializer
    filterset_fields = ["status", "order_id", "provider"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return payments_visible_to(user=self.request.user, organization=_organization(self.request))


class PayoutListView(generics.ListAPIView):
    """Payouts to the active organization (operators: all)."""

    serializer_class = PayoutSerializer
    filterset_fields = ["status", "order_id", "provider"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return payouts_visible_to(user=self.request.user, organization=_organization(self.request))
