"""Operators' outage endpoints: the what-if (changes nothing) and the take-down itself.

Money is in minor units with the order's currency beside it; times are UTC.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsOperator
from marketplace.network.models import Machine, Workshop
from marketplace.network.services import workshop_take_down
from marketplace.orders.outage_preview import outage_preview


class OutageRequestSerializer(serializers.Serializer):
    workshop = serializers.PrimaryKeyRelatedField(
        queryset=Workshop.objects.all(),
        error_messages={"does_not_exist": "There is no workshop {pk_value}."},
    )
    machines = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_empty=False,
        help_text="Machine ids of the workshop; omitted: every machine of it.",
    )
    status = serializers.ChoiceField(
        choices=Machine.Status.choices,
        default=Machine.Status.DOWN,
        help_text="'down' or 'maintenance'.",
    )
    until = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_status(self, value: str) -> str:
        if value == Machine.Status.AVAILABLE:
            raise serializers.ValidationError("An outage is 'down' or 'maintenance'.")
        return value

    def validate_until(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The end of the outage must lie in the future.")
        return value


class OutageTakeDownSerializer(OutageRequestSerializer):
    reason = serializers.CharField(max_length=200)


class StepMoveSerializer(serializers.Serializer):
    name = serializers.CharField()
    from_workshop = serializers.CharField()
    from_machine = serializers.CharField()
    to_workshop = serializers.CharField(help_text="Empty when no workshop takes the step.")
    to_machine = serializers.CharField()
    old_end = serializers.DateTimeField()
    new_end = serializers.DateTimeField(allow_null=True)
    old_cost_minor = serializers.IntegerField()
    new_cost_minor = serializers.IntegerField(allow_null=True)


class OrderImpactSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    reference = serializers.CharField()
    customer = serializers.CharField()
    currency = serializers.CharField()
    price_minor = serializers.IntegerField()
    promised_at = serializers.DateTimeField()
    delivery_before = serializers.DateTimeField(allow_null=True)
    delivery_after = serializers.DateTimeField(allow_null=True)
    cost_before_minor = serializers.IntegerField()
    cost_after_minor = serializers.IntegerField()
    cost_change_minor = serializers.IntegerField()
    is_late = serializers.BooleanField()
    over_price = serializers.BooleanField()
    needs_operator = serializers.BooleanField()
    moves = StepMoveSerializer(many=True)
    escalations = serializers.ListField(child=serializers.CharField())


class OutagePreviewSerializer(serializers.Serializer):
    workshop_id = serializers.IntegerField()
    workshop_name = serializers.CharField()
    machines = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)
    at = serializers.DateTimeField()
    orders = OrderImpactSerializer(many=True)
    cost_change_by_currency = serializers.DictField(child=serializers.IntegerField())


class MachineDownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Machine
        fields = ["id", "name", "status", "status_until", "status_note"]


def _arguments(data: dict) -> dict:
    return {
        "workshop": data["workshop"],
        "machine_ids": data.get("machines"),
        "status": data["status"],
        "until": data["until"],
    }


class OutagePreviewView(APIView):
    """What taking a workshop (or some of its machines) down would do to open orders: the
    real re-plan, run and rolled back, so nothing changes and nobody is told."""

    permission_classes = [IsOperator]

    @extend_schema(request=OutageRequestSerializer, responses=OutagePreviewSerializer)
    def post(self, request):
        data = OutageRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = outage_preview(user=request.user, **_arguments(data.validated_data))
        return Response(OutagePreviewSerializer(preview).data)


class OutageTakeDownView(APIView):
    """Takes the machines down for real: the workshop's members see it live and the affected
    orders are re-planned in the background, as after the workshop's own status push."""

    permission_classes = [IsOperator]

    @extend_schema(
        request=OutageTakeDownSerializer, responses={201: MachineDownSerializer(many=True)}
    )
    def post(self, request):
        data = OutageTakeDownSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        machines = workshop_take_down(
            user=request.user, note=data.validated_data["reason"], **_arguments(data.validated_data)
        )
        return Response(
            MachineDownSerializer(machines, many=True).data, status=status.HTTP_201_CREATED
        )
