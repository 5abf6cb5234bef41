from django.urls import path

from accounts.api import notification_views, views
from accounts.webhooks import api as webhooks
from config.api import Router

router = Router()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("notifications", notification_views.NotificationViewSet, basename="notification")
router.register("webhook-endpoints", webhooks.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="api-invitation-accept"),
    *router.urls,
]
