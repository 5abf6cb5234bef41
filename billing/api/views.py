"""Billing API: each organization sees its balances, payments, payouts and statements;
operators run settlements."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasActiveOrganization, IsOperator
from billing import bank, settlement
from billing.api.serializers import (
    BalanceSerializer,
    BankAccountSerializer,
    BankFileExportSerializer,
    BankFileSerializer,
    OrderStatementSerializer,
    PaymentSerializer,
    PayoutSerializer,
    PeriodQuerySerializer,
    PeriodStatementSerializer,
    SettlementRunSerializer,
    SettlementRunStartSerializer,
    VatReturnQuerySerializer,
    VatReturnSerializer,
)
from billing.errors import NotFound
from billing.models import BankFile
from billing.selectors import (
    balances_for_organization,
    bank_file_get,
    payments_visible_to,
    payout_get,
    payouts_visible_to,
    settlement_run_get,
    settlement_runs,
)
from billing.statements import order_statement, period_statement
from billing.vat_return import vat_period_parse, vat_return
from billing.views import bank_file_response, statement_pdf_response


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
    """Settlement runs, newest first; POST starts a run for what is due now (or returns the
    run of that currency and provider still paying)."""

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


class SettlementRunSepaView(APIView):
    """Exports the manual run's payouts waiting for the bank as a new SEPA file (409 when
    none is left); download it with ``bank-files/<id>/export/``."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses={201: BankFileSerializer})
    def post(self, request, run_id: int):
        result = bank.bank_file_create(operator=request.user, run=settlement_run_get(run_id=run_id))
        body = {
            **BankFileSerializer(result.bank_file).data,
            "waiting_for_details": result.waiting_for_details,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class BankFileDetailView(generics.RetrieveAPIView):
    permission_classes = [IsOperator]
    serializer_class = BankFileSerializer
    lookup_url_kwarg = "file_id"

    def get_queryset(self):
        return BankFile.objects.all()


class BankFileExportView(APIView):
    """The file's pain.001 XML. The first call exports it; later ones need ``again: true``
    (409 otherwise) and are counted in ``X-Export-Count``."""

    permission_classes = [IsOperator]

    @extend_schema(
        request=BankFileExportSerializer, responses={(200, "application/xml"): OpenApiTypes.STR}
    )
    def post(self, request, file_id: int):
        data = BankFileExportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exported = bank.bank_file_export(
            operator=request.user,
            bank_file=bank_file_get(file_id=file_id),
            again=data.validated_data["again"],
        )
        return bank_file_response(bank_file=exported)


class BankFileMarkPaidView(APIView):
    """The bank executed the file: every payout in it is marked paid (a repeat pays none)."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, file_id: int):
        bank_file = bank_file_get(file_id=file_id)
        count = bank.bank_file_mark_paid(operator=request.user, bank_file=bank_file)
        return Response({"bank_file": bank_file.pk, "newly_paid": count})


class PayoutMarkPaidView(APIView):
    """The bank executed this exported payout: it is marked paid (idempotent)."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses=PayoutSerializer)
    def post(self, request, payout_id: int):
        payout = bank.bank_payout_mark_paid(
            operator=request.user, payout=payout_get(payout_id=payout_id)
        )
        return Response(PayoutSerializer(payout).data)


# -- bank details (the active organization's owner) -----------------------------------------
class BankAccountView(APIView):
    """Where the active organization's bank payouts go; its owner reads and sets it."""

    permission_classes = [HasActiveOrganization]

    @extend_schema(responses=BankAccountSerializer)
    def get(self, request):
        account = bank.bank_account_get(user=request.user, organization=_organization(request))
        if account is None:
            raise NotFound("No bank details yet.")
        return Response(BankAccountSerializer(account).data)

    @extend_schema(request=BankAccountSerializer, responses=BankAccountSerializer)
    def put(self, request):
        data = BankAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = bank.bank_account_set(
            user=request.user,
            organization=_organization(request),
            holder_name=data.validated_data["holder_name"],
            iban=data.validated_data["iban"],
            bic=data.validated_data["bic"],
        )
        return Response(BankAccountSerializer(account).data)


class VatReturnView(APIView):
    """Operators: the VAT return of a month or quarter, the EU sales list and the ledger check."""

    permission_classes = [IsOperator]

    @extend_schema(parameters=[VatReturnQuerySerializer], responses=VatReturnSerializer)
    def get(self, request):
        query = VatReturnQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = vat_return(period=vat_period_parse(query.validated_data["period"]))
        return Response(VatReturnSerializer(report).data)
