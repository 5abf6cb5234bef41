from rest_framework import serializers

from billing.models import BankAccount, BankFile, LedgerAccount, Payment, Payout, SettlementRun
from billing.settlement import InvalidSettlement, settlement_validate


class BalanceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LedgerAccount.Kind.choices)
    currency = serializers.CharField()
    balance_minor = serializers.IntegerField()
    balance = serializers.CharField(help_text="Formatted, e.g. '140.00 EUR'.")

    @staticmethod
    def row(account: LedgerAccount, balance) -> dict:
        return {
            "kind": account.kind,
            "currency": account.currency,
            "balance_minor": balance.minor,
            "balance": str(balance),
        }


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "reference",
            "provider",
            "amount_minor",
            "currency",
            "status",
            "instructions",
            "failure_message",
            "refunded_minor",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = [
            "id",
            "order_id",
            "reference",
            "provider",
            "amount_minor",
            "currency",
            "status",
            "attempts",
            "error",
            "reversed_minor",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields


# -- statements (read from billing.statements dataclasses) ----------------------------------
class StatementLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    party = serializers.CharField()
    price_minor = serializers.IntegerField(source="price.minor")
    margin_share_minor = serializers.IntegerField(source="margin_share.minor")
    forfeited_minor = serializers.IntegerField(source="forfeited.minor")
    amount_minor = serializers.IntegerField(source="amount.minor")
    explanation = serializers.CharField(help_text="The sharing rule in plain words.")


class StatementPayoutSerializer(serializers.Serializer):
    payout_id = serializers.IntegerField()
    key = serializers.CharField()
    amount_minor = serializers.IntegerField(source="amount.minor")
    reversed_minor = serializers.IntegerField(source="reversed.minor")
    status = serializers.CharField(help_text="The payout's status, as in /billing/payouts/.")
    paid_at = serializers.DateTimeField(allow_null=True)


class OrderStatementSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    reference = serializers.CharField()
    role = serializers.CharField(help_text="customer, party (workshop or carrier) or platform.")
    organization = serializers.CharField()
    currency = serializers.CharField()
    released_at = serializers.DateTimeField(allow_null=True)
    lines = StatementLineSerializer(many=True)
    total_minor = serializers.IntegerField(source="total.minor", help_text="Sum of the lines.")
    customer_price_minor = serializers.IntegerField(source="customer_price.minor")
    margin_minor = serializers.IntegerField(source="margin.minor")
    platform_fee_minor = serializers.IntegerField(source="platform_fee.minor")
    rebate_minor = serializers.IntegerField(source="rebate.minor")
    amount_paid_minor = serializers.IntegerField(
        source="amount_paid.minor",
        help_text="Customer: the confirmed payment; parties: payouts paid, net of reversals.",
    )
    outstanding_minor = serializers.IntegerField(source="outstanding.minor")
    payouts = StatementPayoutSerializer(many=True)


class PeriodTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    orders = serializers.IntegerField()
    total_minor = serializers.IntegerField(source="total.minor")
    amount_paid_minor = serializers.IntegerField(source="amount_paid.minor")
    outstanding_minor = serializers.IntegerField(source="outstanding.minor")


class PeriodStatementSerializer(serializers.Serializer):
    organization = serializers.CharField()
    role = serializers.CharField(help_text="customer, party (workshop or carrier) or platform.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    totals = PeriodTotalSerializer(many=True)
    orders = OrderStatementSerializer(many=True)


class PeriodQuerySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Inclusive.")

    def validate(self, data):
        if data["period_end"] < data["period_start"]:
            raise serializers.ValidationError("The period ends before it starts.")
        return data


# -- settlement runs ------------------------------------------------------------------------
class SettlementRunSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="running, partial (some payouts failed) or completed.")

    class Meta:
        model = SettlementRun
        fields = [
            "id",
            "cutoff",
            "currency",
            "provider",
            "status",
            "attempts",
            "payouts_count",
            "paid_count",
            "submitted_count",
            "failed_count",
            "total_minor",
            "paid_minor",
            "submitted_minor",
            "failed_minor",
            "started_by",
            "started_at",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class SettlementRunStartSerializer(serializers.Serializer):
    """Pays every released payout due up to now in the currency, through the provider."""

    currency = serializers.CharField(help_text="ISO 4217, one billing supports, e.g. EUR.")
    provider = serializers.CharField(required=False, help_text="Default: the configured one.")

    def validate(self, data):
        try:
            currency, provider = settlement_validate(
                currency=data["currency"], provider=data.get("provider")
            )
        except InvalidSettlement as error:
            field = "provider" if error.code == "unknown_provider" else "currency"
            raise serializers.ValidationError({field: [error.message]}) from None
        return {"currency": currency, "provider": provider}


# -- bank payouts ---------------------------------------------------------------------------
class BankFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankFile
        fields = [
            "id",
            "message_id",
            "run",
            "currency",
            "payouts_count",
            "transfers_count",
            "total_minor",
            "created_by",
            "created_at",
            "export_count",
            "last_exported_at",
        ]
        read_only_fields = fields


class BankFileExportSerializer(serializers.Serializer):
    again = serializers.BooleanField(
        default=False, help_text="Re-export a file already exported (the bank must not pay twice)."
    )


class BankAccountSerializer(serializers.ModelSerializer):
    iban = serializers.CharField(max_length=50)
    bic = serializers.CharField(max_length=20)

    class Meta:
        model = BankAccount
        fields = ["holder_name", "iban", "bic", "updated_at"]
        read_only_fields = ["updated_at"]


class VatReturnQuerySerializer(serializers.Serializer):
    period = serializers.CharField(
        max_length=20, help_text="A month (2026-11) or a quarter (2026-Q4)."
    )


class VatReturnPeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="The first day after the period.")


# What the VAT return and the EU sales list both total: one issuer's sales in a currency to
# one country. (A comment, not a docstring: the schema would give it to every subclass.)
class _SalesTotalSerializer(serializers.Serializer):
    issuer = serializers.CharField()
    currency = serializers.CharField()
    country = serializers.CharField()
    net_minor = serializers.IntegerField()
    documents = serializers.IntegerField()


class VatReturnRowSerializer(_SalesTotalSerializer):
    country = serializers.CharField(help_text="The buyer's country (ISO 3166-1).")
    rate_bp = serializers.IntegerField(help_text="VAT rate in basis points (19 % = 1900).")
    treatment = serializers.CharField(
        help_text="domestic, reverse_charge, intra_eu_b2c (intra-EU, no VAT ID) or export."
    )
    vat_minor = serializers.IntegerField()


class EuSalesRowSerializer(_SalesTotalSerializer):
    vat_id = serializers.CharField()


# The documents' VAT beside the ledger's, as the currency check and each order that differs
# report it.
class _VatAgainstLedgerSerializer(serializers.Serializer):
    currency = serializers.CharField()
    documents_vat_minor = serializers.IntegerField()
    ledger_vat_minor = serializers.IntegerField()
    difference_minor = serializers.IntegerField()


class VatLedgerCheckSerializer(_VatAgainstLedgerSerializer):
    net_minor = serializers.IntegerField()
    agrees = serializers.BooleanField()


class VatOrderDifferenceSerializer(_VatAgainstLedgerSerializer):
    order_id = serializers.IntegerField()
    reference = serializers.CharField()


class VatReturnSerializer(serializers.Serializer):
    period = VatReturnPeriodSerializer()
    agrees = serializers.BooleanField(help_text="Every currency's documents agree with the ledger.")
    rows = VatReturnRowSerializer(many=True)
    eu_sales = EuSalesRowSerializer(many=True)
    checks = VatLedgerCheckSerializer(many=True)
    differences = VatOrderDifferenceSerializer(many=True)
