from django.urls import path

from marketplace.exports import views

urlpatterns = [
    path("organizations/<int:organization_id>/export/", views.export_list, name="export_list"),
    path(
        "organizations/<int:organization_id>/export/start/",
        views.export_start,
        name="export_start",
    ),
    path(
        "organizations/<int:organization_id>/close/",
        views.organization_close,
        name="organization_close",
    ),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
]
