from rest_framework import serializers

from billing.models import LedgerAccount, Payment, Payout


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
