"""Reads of webhook endpoints and deliveries, only for the managers of their organization."""

from django.db.models import QuerySet

from accounts.errors import NotFound
from accounts.models import Membership, Organization, User
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint


def _managed_organization_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, role__in=Membership.MANAGERS).values(
        "organization_id"
    )


def endpoints_of(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization).order_by("pk")


def endpoint_get_for_manager(*, endpoint_id: int | str, user: User) -> WebhookEndpoint:
    """The endpoint if the user is an owner or admin of its organization, else NotFound."""
    if not user.is_authenticated:
        raise NotFound("No such webhook endpoint.")
    try:
        return WebhookEndpoint.objects.select_related("organization").get(
            pk=int(endpoint_id), organization_id__in=_managed_organization_ids(user)
        )
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook endpoint.") from None


def deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-created_at", "-pk")


def delivery_get_for_manager(*, delivery_id: int | str, user: User) -> WebhookDelivery:
    if not user.is_authenticated:
        raise NotFound("No such webhook delivery.")
    try:
        return WebhookDelivery.objects.select_related("endpoint__organization").get(
            pk=int(delivery_id), endpoint__organization_id__in=_managed_organization_ids(user)
        )
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook delivery.") from None
