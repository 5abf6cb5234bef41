"""Billing API: each organization sees its balances, payments, payouts and statements;
operators run settlements."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasActiveOrganization, IsOperator
from billing import settlement
from billing.api.serializers import (
    BalanceSerializer,
    OrderStatementSerializer,
    PaymentSerializer,
    PayoutSerializer,
    PeriodQuerySerializer,
    PeriodStatementSerializer,
    SettlementRunSerializer,
    SettlementRunStartSerializer,
)
from billing.selectors import (
    balances_for_organization,
    payments_visible_to,
    payouts_visible_to,
    settlement_run_get,
    settlement_runs,
)
from billing.statements import order_statement, period_statement
from billing.views import settlement_csv_response, statement_pdf_response


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


# -- statements -----------------------------------------------------------------------------
class OrderStatementView(APIView):
    """The active organization's statement for one released order."""

    permission_classes = [HasActiveOrganization]

    @extend_schema(responses=OrderStatementSerializer)
    def get(self, request, order_id: int):
        statement = order_statement(organization=_organization(request), order_id=order_id)
        return Response(OrderStatementSerializer(statement).data)


class PeriodStatementView(APIView):
    """The active organization's statement for a period: each released order and totals."""

    permission_classes = [HasActiveOrganization]

    @extend_schema(parameters=[PeriodQuerySerializer], responses=PeriodStatementSerializer)
    def get(self, request):
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        statement = period_statement(organization=_organization(request), **query.validated_data)
        return Response(PeriodStatementSerializer(statement).data)


class StatementPdfView(APIView):
    """The order's invoice (customers) or credit note (workshops, carriers) as a PDF."""

    permission_classes = [HasActiveOrganization]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, order_id: int):
        return statement_pdf_response(organization=_organization(request), order_id=order_id)


# -- settlement runs (operators) ------------------------------------------------------------
class SettlementRunListView(generics.ListAPIView):
    """Settlement runs, newest first; POST starts the run of a period (or returns it)."""

    permission_classes = [IsOperator]
    serializer_class = SettlementRunSerializer
    filterset_fields = ["status", "currency", "provider"]

    def get_queryset(self):
        return settlement_runs()

    @extend_schema(
        request=SettlementRunStartSerializer,
        responses={201: SettlementRunSerializer, 200: SettlementRunSerializer},
    )
    def post(self, request):
        data = SettlementRunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, created = settlement.settlement_start(operator=request.user, **data.validated_data)
        if created:
            run = settlement.settlement_execute(run=run)
        return Response(
            SettlementRunSerializer(run).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SettlementRunDetailView(generics.RetrieveAPIView):
    permission_classes = [IsOperator]
    serializer_class = SettlementRunSerializer
    lookup_url_kwarg = "run_id"

    def get_queryset(self):
        return settlement_runs()


class SettlementRunRetryView(APIView):
    """Pays what a partial run still owes; nobody is paid twice."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses=SettlementRunSerializer)
    def post(self, request, run_id: int):
        run = settlement.settlement_retry(
            run=settlement_run_get(run_id=run_id), operator=request.user
        )
        return Response(SettlementRunSerializer(run).data)


class SettlementRunCsvView(APIView):
    """The bank file (CSV) of a manual run's payouts waiting in the bank."""

    permission_classes = [IsOperator]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, run_id: int):
        return settlement_csv_response(run=settlement_run_get(run_id=run_id))
