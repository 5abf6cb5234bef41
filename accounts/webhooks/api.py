"""API of webhook endpoints and their delivery log, for owners and admins of the organization
named by `X-Organization` (or the user's active one)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.errors import NotFound
from accounts.webhooks import selectors, services
from accounts.webhooks.events import EVENT_TYPE_CHOICES
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint


class IsOrganizationManager(BasePermission):
    message = "Only an owner or admin of the organization manages its webhooks."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        return bool(membership and membership.can_manage)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), allow_empty=False
    )
    is_active = serializers.BooleanField(default=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = ["disabled_reason", "failing_since", "created_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """Answered once, on creation and on rotation: the secret is never shown again."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    payload = serializers.JSONField(help_text="The event as sent (see the webhook event schemas).")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "api_version",
            "status",
            "is_manual",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "last_duration_ms",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Endpoints of the active organization: URL, event types, a secret shown once."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsOrganizationManager]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_of(organization=self.request.membership.organization)

    def get_object(self) -> WebhookEndpoint:
        endpoint = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if endpoint is None:
            raise NotFound("No such webhook endpoint.")
        return endpoint

    @extend_schema(responses={201: WebhookEndpointWithSecretSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_create(
            user=request.user,
            organization=request.membership.organization,
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
        )
        if not data.get("is_active", True):
            endpoint = services.endpoint_update(
                user=request.user,
                endpoint=endpoint,
                url=endpoint.url,
                event_types=endpoint.event_types,
                description=endpoint.description,
                is_active=False,
            )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = self.get_serializer(endpoint, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_update(
            user=request.user,
            endpoint=endpoint,
            url=data.get("url", endpoint.url),
            event_types=data.get("event_types", endpoint.event_types),
            description=data.get("description", endpoint.description),
            is_active=data.get("is_active", endpoint.is_active),
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.endpoint_delete(user=self.request.user, endpoint=instance)

    @extend_schema(request=None, responses=WebhookEndpointWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, shown once; the old one still signs (a second v1) for 24 hours."""
        endpoint = services.endpoint_rotate_secret(user=request.user, endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a `ping` event to this endpoint alone; its outcome shows in the deliveries."""
        delivery = services.endpoint_ping(user=request.user, endpoint=self.get_object())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The endpoint's delivery log, newest first."""
        queryset = selectors.deliveries_of(endpoint=self.get_object())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryFilter(django_filters.FilterSet):
    # A number, not a choice among all endpoints: an unknown id and another organization's
    # look the same (an empty list).
    # Bounded like the ids themselves: a number past them is a 400, not a database error.
    endpoint = django_filters.NumberFilter(
        field_name="endpoint_id", min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "event_type", "status"]


class WebhookDeliveryViewSet(
    viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    """Every delivery to the active organization's endpoints; send one again."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsOrganizationManager]
    lookup_value_regex = r"\d+"
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.filter(
            endpoint__organization=self.request.membership.organization
        ).order_by("-created_at", "-pk")

    def get_object(self) -> WebhookDelivery:
        delivery = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if delivery is None:
            raise NotFound("No such webhook delivery.")
        return delivery

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        """Send the same event (same id and payload) again, as a new delivery."""
        again = services.delivery_redeliver(user=request.user, delivery=self.get_object())
        again.refresh_from_db()
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
