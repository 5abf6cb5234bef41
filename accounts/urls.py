from django.urls import path

from accounts import views

urlpatterns = [
    path("organizations/new/", views.organization_new, name="organization_new"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<int:organization_id>/invitations/",
        views.invitation_create,
        name="invitation_create",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("memberships/<int:membership_id>/", views.membership_update, name="membership_update"),
    path("settings/tokens/", views.token_list, name="token_list"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("operations/audit/", views.operator_audit_log, name="operator_audit_log"),
]
