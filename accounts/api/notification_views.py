"""The signed-in user's notifications: list, mark read, and which kinds are e-mailed.

Notifications are written by `accounts.services.notify`; here their owner only reads them and
marks them read, so every lookup is scoped to `request.user` and anyone else's is not found.
"""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.notification_serializers import (
    NotificationPreferenceSerializer,
    NotificationSerializer,
    ReadAllSerializer,
)
from accounts.errors import NotFound
from accounts.models import Notification, NotificationPreference


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or read (false)."
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Marks one notification read; marking it again keeps the first time."""
        notification = self.get_queryset().filter(pk=pk).first()
        if notification is None:
            raise NotFound("No such notification.")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = self.get_queryset().filter(read_at=None).update(read_at=timezone.now())
        return Response(ReadAllSerializer({"marked": marked}).data)

    @extend_schema(methods=["GET"], request=None, responses=NotificationPreferenceSerializer)
    @extend_schema(
        methods=["PUT"],
        request=NotificationPreferenceSerializer,
        responses=NotificationPreferenceSerializer,
    )
    @action(detail=False, methods=["get", "put"], filterset_class=None, pagination_class=None)
    def preferences(self, request):
        """Whether to e-mail at all, and which kinds never to e-mail (the app shows them all)."""
        if request.method == "GET":
            preference = NotificationPreference.objects.filter(user=request.user).first()
            shown = preference or NotificationPreference(user=request.user)
            return Response(NotificationPreferenceSerializer(shown).data)
        serializer = NotificationPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference, _ = NotificationPreference.objects.update_or_create(
            user=request.user, defaults=serializer.validated_data
        )
        return Response(NotificationPreferenceSerializer(preference).data)
