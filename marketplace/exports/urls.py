from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from marketplace.exports import views

urlpatterns = [
    path("organizations/<id:organization_id>/export/", views.export_list, name="export_list"),
    path(
        "organizations/<id:organization_id>/export/start/",
        views.export_start,
        name="export_start",
    ),
    path(
        "organizations/<id:organization_id>/close/",
        views.organization_close,
        name="organization_close",
    ),
    path("exports/<id:export_id>/download/", views.export_download, name="export_download"),
]
