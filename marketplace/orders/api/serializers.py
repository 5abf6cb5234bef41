"""Shapes of quotes, orders, jobs, shipments, messages and reviews in the API.

Money is in minor units with its currency beside it. What a party may see follows the order
page: prices only for the customer and operators, a workshop's own cost only on its job board.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.designs.models import Design, DesignRevision
from marketplace.network.models import Finish, Material, Workshop
from marketplace.orders.models import (
    DisputeDecision,
    Job,
    Message,
    Order,
    OrderEvent,
    QuoteLine,
    QuoteOption,
    QuoteRequest,
    Review,
    Shipment,
)
from marketplace.orders.quotes import MAX_QUANTITY


class StatusField(serializers.ChoiceField):
    """A read-only status whose choices are one named enum in the schema.

    The same status shows in list and detail shapes; without a name of its own, the schema
    generator cannot tell the `status` enums of quotes, orders, jobs and legs apart.
    """

    def __init__(self, *, enum_name: str, choices, **kwargs) -> None:
        self.enum_name = enum_name
        super().__init__(choices=choices, read_only=True, **kwargs)


class StatusFieldExtension(OpenApiSerializerFieldExtension):
    target_class = StatusField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": list(field.choices),
                "description": "\n".join(f"* `{k}` - {v}" for k, v in field.choices.items()),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# -- quotes ---------------------------------------------------------------------------------
@extend_schema_field(OpenApiTypes.INT)
class RevisionField(serializers.PrimaryKeyRelatedField):
    """A design revision the caller may see; others' ids look like ids that do not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return DesignRevision.objects.none()
        return DesignRevision.objects.filter(
            design__in=Design.objects.visible_to(request.user)
        ).select_related("design")


class QuoteLineInputSerializer(serializers.Serializer):
    revision = RevisionField()
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
    finish = serializers.SlugRelatedField(
        slug_field="code", queryset=Finish.objects.all(), allow_null=True, default=None
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    tolerance = serializers.ChoiceField(
        choices=QuoteRequest.Tolerance.choices, default=QuoteRequest.Tolerance.STANDARD
    )


class ShipToSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2.")
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)


class QuoteCreateSerializer(serializers.Serializer):
    lines = QuoteLineInputSerializer(many=True)
    ship_to = ShipToSerializer()
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class QuoteLineSerializer(serializers.ModelSerializer):
    design = serializers.IntegerField(source="revision.design_id", read_only=True)
    design_name = serializers.CharField(source="revision.design.name", read_only=True)
    material = serializers.SlugRelatedField(slug_field="code", read_only=True)
    finish = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = QuoteLine
        fields = [
            "id",
            "revision",
            "design",
            "design_name",
            "material",
            "finish",
            "quantity",
            "tolerance",
        ]


class QuoteOptionSerializer(serializers.ModelSerializer):
    order = serializers.SerializerMethodField(help_text="The order placed from this option.")

    class Meta:
        model = QuoteOption
        fields = [
            "id",
            "rank",
            "labels",
            "price_minor",
            "cost_minor",
            "margin_minor",
            "platform_fee_minor",
            "currency",
            "delivery_at",
            "co2_g",
            "summary",
            "order",
        ]

    def get_order(self, option: QuoteOption) -> int | None:
        order = getattr(option, "order", None)  # a missing reverse one-to-one raises
        return order.pk if order is not None else None


class QuoteOptionDetailSerializer(QuoteOptionSerializer):
    route = serializers.JSONField(
        read_only=True, help_text="Steps, legs and runner-up prices as solved."
    )

    class Meta(QuoteOptionSerializer.Meta):
        fields = [*QuoteOptionSerializer.Meta.fields, "route"]


class QuoteSerializer(serializers.ModelSerializer):
    status = StatusField(enum_name="QuoteStatusEnum", choices=QuoteRequest.Status.choices)
    ship_to = serializers.SerializerMethodField()
    is_expired = serializers.BooleanField(read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)
    options = QuoteOptionSerializer(many=True, read_only=True)

    class Meta:
        model = QuoteRequest
        fields = [
            "id",
            "organization",
            "status",
            "reasons",
            "created_at",
            "due_at",
            "ship_to",
            "currency",
            "earliest_delivery_at",
            "valid_until",
            "is_expired",
            "solve_seconds",
            "lines",
            "options",
        ]

    @extend_schema_field(ShipToSerializer)
    def get_ship_to(self, quote: QuoteRequest) -> dict:
        return {
            "name": quote.ship_to_name,
            "address": quote.ship_to_address,
            "city": quote.ship_to_city,
            "country": quote.ship_to_country,
            "latitude": float(quote.ship_to_latitude),
            "longitude": float(quote.ship_to_longitude),
        }


class QuoteDetailSerializer(QuoteSerializer):
    options = QuoteOptionDetailSerializer(many=True, read_only=True)


# -- orders ---------------------------------------------------------------------------------
class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WorkshopRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()


def _workshop(workshop: Workshop | None) -> dict | None:
    if workshop is None:
        return None
    return {"id": workshop.pk, "name": workshop.organization.name, "city": workshop.city}


class OrderJobSerializer(serializers.ModelSerializer):
    """A step as every party on the order sees it (no costs)."""

    status = StatusField(enum_name="JobStatusEnum", choices=Job.Status.choices)
    process = serializers.SlugRelatedField(slug_field="code", read_only=True)
    workshop = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "process",
            "workshop",
            "sequence",
            "status",
            "planned_start",
            "planned_end",
            "progress_percent",
            "declined_reason",
            "started_at",
            "finished_at",
            "inspection",
            "inspection_note",
            "inspected_at",
        ]

    @extend_schema_field(WorkshopRefSerializer)
    def get_workshop(self, job: Job) -> dict:
        return _workshop(job.workshop)


class JobInspectionSerializer(serializers.Serializer):
    """How a finished step's work came out of inspection; a note is required unless accepted."""

    outcome = serializers.ChoiceField(choices=Job.Inspection.choices)
    note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class DeliverToSerializer(serializers.Serializer):
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()


class ShipmentSerializer(serializers.ModelSerializer):
    status = StatusField(enum_name="ShipmentStatusEnum", choices=Shipment.Status.choices)
    order_reference = serializers.CharField(source="order.reference", read_only=True)
    origin = serializers.SerializerMethodField()
    destination = serializers.SerializerMethodField()
    carrier = serializers.SerializerMethodField()
    to_customer = serializers.BooleanField(read_only=True)
    deliver_to = serializers.SerializerMethodField(
        help_text="The customer's address, on the leg to the customer."
    )

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "order_reference",
            "job_key",
            "origin",
            "destination",
            "to_customer",
            "deliver_to",
            "carrier",
            "status",
            "planned_departure",
            "planned_arrival",
            "km",
            "co2_g",
            "tracking_number",
            "handed_over_at",
            "received_at",
            "plan_version",
        ]

    @extend_schema_field(WorkshopRefSerializer)
    def get_origin(self, shipment: Shipment) -> dict:
        return _workshop(shipment.origin)

    @extend_schema_field(WorkshopRefSerializer(allow_null=True))
    def get_destination(self, shipment: Shipment) -> dict | None:
        return _workshop(shipment.destination)

    @extend_schema_field(PartySerializer)
    def get_carrier(self, shipment: Shipment) -> dict:
        return {"id": shipment.carrier_id, "name": shipment.carrier.organization.name}

    @extend_schema_field(DeliverToSerializer(allow_null=True))
    def get_deliver_to(self, shipment: Shipment) -> dict | None:
        if not shipment.to_customer:
            return None
        request = shipment.order.option.request
        return {
            "name": request.ship_to_name,
            "address": request.ship_to_address,
            "city": request.ship_to_city,
            "country": request.ship_to_country,
        }


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "from_status", "to_status", "role", "reason", "actor", "at"]

    def get_actor(self, event: OrderEvent) -> str | None:
        return event.actor.get_short_name() if event.actor else None


class MessageSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "organization", "author", "body", "created_at"]

    @extend_schema_field(PartySerializer)
    def get_organization(self, message: Message) -> dict:
        return {"id": message.organization_id, "name": message.organization.name}

    def get_author(self, message: Message) -> str | None:
        return message.author.get_short_name() if message.author else None


class OrderSerializer(serializers.ModelSerializer):
    """An order in lists; the price only for its customer and operators (`sees_money`)."""

    status = StatusField(enum_name="OrderStatusEnum", choices=Order.Status.choices)
    organization = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    quote = serializers.IntegerField(source="option.request_id", read_only=True)
    price_minor = serializers.SerializerMethodField(
        help_text="Minor units; only for the customer and operators."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "organization",
            "quote",
            "option",
            "price_minor",
            "currency",
            "promised_delivery_at",
            "placed_at",
            "pay_by",
            "delivered_at",
            "completed_at",
            "plan_version",
        ]

    @extend_schema_field(PartySerializer)
    def get_organization(self, order: Order) -> dict:
        return {"id": order.organization_id, "name": order.organization.name}

    def get_price_minor(self, order: Order) -> int | None:
        sees = self.context.get("sees_money")
        return order.price_minor if sees and sees(order) else None


class OrderDetailSerializer(OrderSerializer):
    """An order with the steps, legs, timeline and chat the caller may see."""

    jobs = OrderJobSerializer(source="visible_jobs", many=True, read_only=True)
    shipments = ShipmentSerializer(source="visible_shipments", many=True, read_only=True)
    events = OrderEventSerializer(source="timeline", many=True, read_only=True)
    messages = MessageSerializer(source="chat", many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "jobs", "shipments", "events", "messages"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class DisputeDecisionInputSerializer(serializers.Serializer):
    """An operator's settlement: the refund in minor units of the order's currency, and the
    work paid its price (omit ``paid_parties`` to pay every finished step and handed-over
    leg; ``[]`` pays nobody)."""

    outcome = serializers.ChoiceField(choices=DisputeDecision.Outcome.choices)
    reason = serializers.CharField(max_length=500)
    refund_minor = serializers.IntegerField(min_value=0, max_value=10**12, default=0)
    paid_parties = serializers.ListField(
        child=serializers.RegexField(r"^(job|leg)-\d{1,12}$"), required=False, max_length=500
    )


class DisputeDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisputeDecision
        fields = [
            "id",
            "outcome",
            "refund_minor",
            "currency",
            "paid_parties",
            "explanation",
            "decided_at",
        ]
        read_only_fields = fields


class MessagePostSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, allow_blank=True)
    organization = serializers.IntegerField(
        required=False, help_text="Post as this organization of yours (default: the active one)."
    )


class ReviewCreateSerializer(serializers.Serializer):
    workshop = serializers.PrimaryKeyRelatedField(queryset=Workshop.objects.all())
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "order", "workshop", "rating", "comment", "created_at"]


# -- jobs -----------------------------------------------------------------------------------
class PartSerializer(serializers.Serializer):
    design = serializers.CharField()
    revision = serializers.IntegerField()
    material = serializers.CharField()
    quantity = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    """A step on the workshop's own job board, with what it pays."""

    status = StatusField(enum_name="JobStatusEnum", choices=Job.Status.choices)
    order_reference = serializers.CharField(source="order.reference", read_only=True)
    process = serializers.SlugRelatedField(slug_field="code", read_only=True)
    machine = serializers.SerializerMethodField()
    part = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "order",
            "order_reference",
            "name",
            "process",
            "workshop",
            "machine",
            "part",
            "sequence",
            "status",
            "planned_start",
            "planned_end",
            "accept_by",
            "cost_minor",
            "progress_percent",
            "progress_note",
            "declined_reason",
            "started_at",
            "finished_at",
            "plan_version",
            "expected_end",
            "delay_reason",
        ]

    @extend_schema_field(PartySerializer)
    def get_machine(self, job: Job) -> dict:
        return {"id": job.machine_id, "name": job.machine.name}

    @extend_schema_field(PartSerializer(allow_null=True))
    def get_part(self, job: Job) -> dict | None:
        if job.line is None:
            return None
        return {
            "design": job.line.revision.design.name,
            "revision": job.line.revision_id,
            "material": job.line.material.code,
            "quantity": job.line.quantity,
        }


class JobDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class JobDelaySerializer(serializers.Serializer):
    """When the workshop now expects the step to end, and why (shown to the customer)."""

    expected_end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=500)


class JobProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


# -- shipments ------------------------------------------------------------------------------
class HandOverSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(
        max_length=60, allow_blank=True, required=False, default=""
    )
