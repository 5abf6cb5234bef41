from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from accounts import views
from accounts.webhooks import views as webhooks

urlpatterns = [
    path("organizations/new/", views.organization_new, name="organization_new"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path(
        "organizations/<id:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<id:organization_id>/invitations/",
        views.invitation_create,
        name="invitation_create",
    ),
    path(
        "invitations/<id:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("memberships/<id:membership_id>/", views.membership_update, name="membership_update"),
    path("addresses/", views.address_book, name="address_book"),
    path("settings/billing/", views.billing_profile, name="billing_profile"),
    path("settings/tokens/", views.token_list, name="token_list"),
    path("notifications/", views.notification_list, name="notification_list"),
    path(
        "organizations/<id:organization_id>/webhooks/",
        webhooks.webhook_endpoint_list,
        name="webhook_endpoint_list",
    ),
    path(
        "webhooks/<id:endpoint_id>/",
        webhooks.webhook_endpoint_detail,
        name="webhook_endpoint_detail",
    ),
    path(
        "webhooks/deliveries/<id:delivery_id>/send-again/",
        webhooks.webhook_delivery_redeliver,
        name="webhook_delivery_redeliver",
    ),
    path("operations/audit/", views.operator_audit_log, name="operator_audit_log"),
]
