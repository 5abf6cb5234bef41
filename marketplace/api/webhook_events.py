"""The webhook events partners receive, documented in the API schema (one component each).

The payloads are built by ``marketplace.orders.partner_events``, ``marketplace.network
.partner_events`` and ``billing.partner_events``; these serializers describe them (a test
checks every delivered event against them) and ``GET /api/v1/webhook-events/`` lists each
type with an example.
"""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.webhooks.events import API_VERSION, EVENT_TYPE_CHOICES, EVENT_TYPES


class MoneyDataSerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(help_text="Integer minor units (cents).")
    currency = serializers.CharField(help_text="ISO 4217 code.")


class OrderDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    price = MoneyDataSerializer()
    placed_at = serializers.DateTimeField()
    promised_delivery_at = serializers.DateTimeField()


class JobDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_reference = serializers.CharField()
    name = serializers.CharField()
    process = serializers.CharField()
    status = serializers.CharField()
    machine = serializers.IntegerField(help_text="Your machine's id.")
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    accept_by = serializers.DateTimeField()
    price = MoneyDataSerializer(help_text="What the step pays your workshop.")


class ShipmentDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_reference = serializers.CharField()
    status = serializers.CharField()
    origin = serializers.CharField()
    destination = serializers.CharField(allow_null=True, help_text="Null: to the customer.")
    to_customer = serializers.BooleanField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField(allow_blank=True)
    planned_arrival = serializers.DateTimeField()
    handed_over_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


class MachineDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    process = serializers.CharField()
    status = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    until = serializers.DateTimeField(allow_null=True)


class PayoutDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    amount = MoneyDataSerializer()
    order_id = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)


class OrderEventDataSerializer(serializers.Serializer):
    order = OrderDataSerializer()
    reason = serializers.CharField(allow_blank=True)


class JobEventDataSerializer(serializers.Serializer):
    job = JobDataSerializer()


class ShipmentEventDataSerializer(serializers.Serializer):
    shipment = ShipmentDataSerializer()


class MachineEventDataSerializer(serializers.Serializer):
    machine = MachineDataSerializer()


class PayoutEventDataSerializer(serializers.Serializer):
    payout = PayoutDataSerializer()


DATA_OF_EVENT = {
    "order.paid": OrderEventDataSerializer,
    "order.cancelled": OrderEventDataSerializer,
    "job.offered": JobEventDataSerializer,
    "job.accepted": JobEventDataSerializer,
    "job.replanned": JobEventDataSerializer,
    "job.completed": JobEventDataSerializer,
    "shipment.handed_over": ShipmentEventDataSerializer,
    "shipment.delivered": ShipmentEventDataSerializer,
    "payout.paid": PayoutEventDataSerializer,
    "machine.down": MachineEventDataSerializer,
    "machine.available": MachineEventDataSerializer,
}


def _constant(value: str) -> type[serializers.CharField]:
    """A string field documented as this one value (inline, not one more named enum)."""
    return extend_schema_field({"type": "string", "enum": [value]})(
        type("ConstantField", (serializers.CharField,), {})
    )


def _envelope_serializer(event_type: str, data: type[serializers.Serializer]):
    name = "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))
    fields = {
        "__doc__": f"`{event_type}`: {EVENT_TYPES[event_type]}",
        "id": serializers.CharField(help_text="The event's id; the same in every redelivery."),
        "type": _constant(event_type)(),
        "api_version": _constant(API_VERSION)(),
        "created": serializers.IntegerField(help_text="Unix seconds when it happened."),
        "organization": serializers.IntegerField(help_text="Your organization's id."),
        "data": data(),
    }
    return type(f"{name}EventSerializer", (serializers.Serializer,), fields)


EVENT_SERIALIZERS = {
    event_type: _envelope_serializer(event_type, data) for event_type, data in DATA_OF_EVENT.items()
}


_MONEY = {"amount_minor": 12900, "currency": "EUR"}
_AT = "2026-12-01T09:30:00+00:00"
EXAMPLE_DATA = {
    OrderEventDataSerializer: {
        "order": {
            "id": 42,
            "reference": "CF-2026-00042",
            "status": "paid",
            "price": _MONEY,
            "placed_at": _AT,
            "promised_delivery_at": "2026-12-14T16:00:00+00:00",
        },
        "reason": "Payment received",
    },
    JobEventDataSerializer: {
        "job": {
            "id": 7,
            "order_reference": "CF-2026-00042",
            "name": "Bracket: CNC milling",
            "process": "CNC milling (3-axis)",
            "status": "offered",
            "machine": 3,
            "planned_start": _AT,
            "planned_end": "2026-12-01T12:30:00+00:00",
            "accept_by": "2026-11-30T18:00:00+00:00",
            "price": _MONEY,
        }
    },
    ShipmentEventDataSerializer: {
        "shipment": {
            "id": 5,
            "order_reference": "CF-2026-00042",
            "status": "in_transit",
            "origin": "Präzision Stuttgart",
            "destination": None,
            "to_customer": True,
            "carrier": "Eve Logistics",
            "tracking_number": "TRK1",
            "planned_arrival": "2026-12-03T10:00:00+00:00",
            "handed_over_at": _AT,
            "received_at": None,
        }
    },
    MachineEventDataSerializer: {
        "machine": {
            "id": 3,
            "name": "DMG Mori CMX 600",
            "process": "CNC milling (3-axis)",
            "status": "down",
            "note": "Spindle crash",
            "until": None,
        }
    },
    PayoutEventDataSerializer: {
        "payout": {
            "id": 11,
            "reference": "price:42:7",
            "amount": _MONEY,
            "order_id": 42,
            "paid_at": _AT,
        }
    },
}


def example_event(event_type: str) -> dict:
    return {
        "id": "evt_0123456789abcdef0123456789abcdef",
        "type": event_type,
        "api_version": API_VERSION,
        "created": 1796117400,
        "organization": 1,
        "data": EXAMPLE_DATA[DATA_OF_EVENT[event_type]],
    }


WebhookEvent = PolymorphicProxySerializer(
    component_name="WebhookEvent",
    serializers=list(EVENT_SERIALIZERS.values()),
    resource_type_field_name=None,
)


@extend_schema_field(WebhookEvent)
class WebhookEventField(serializers.JSONField):
    """A whole event payload, documented as one of the event components."""


class WebhookEventTypeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    description = serializers.CharField()
    api_version = serializers.CharField()
    schema = serializers.CharField(help_text="The component that documents the payload.")
    example = WebhookEventField(help_text="An example of the payload.")


class WebhookEventCatalogView(GenericAPIView):
    """Every webhook event type partners can subscribe to, with an example; the schema of
    `example` documents each payload (components `OrderPaidEvent`, `JobOfferedEvent`, ...)."""

    serializer_class = WebhookEventTypeSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=WebhookEventTypeSerializer(many=True))
    def get(self, request):
        catalog = [
            {
                "type": event_type,
                "description": EVENT_TYPES[event_type],
                "api_version": API_VERSION,
                "schema": serializer.__name__.removesuffix("Serializer"),
                "example": example_event(event_type),
            }
            for event_type, serializer in EVENT_SERIALIZERS.items()
        ]
        return Response(WebhookEventTypeSerializer(catalog, many=True).data)
