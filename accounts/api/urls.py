from django.urls import path

from accounts.api import notification_views, views
from config.api import Router

router = Router()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("notifications", notification_views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="api-invitation-accept"),
    *router.urls,
]
