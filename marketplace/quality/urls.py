from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from marketplace.quality import views

urlpatterns = [
    path("jobs/<id:job_id>/quality/record/", views.quality_record, name="quality_record"),
    path("jobs/<id:job_id>/quality/files/", views.quality_file, name="quality_file"),
    path(
        "orders/<id:order_id>/quality/requirements/",
        views.quality_requirement,
        name="quality_requirement",
    ),
    path("orders/<id:order_id>/quality/archive/", views.quality_archive, name="quality_archive"),
    path("quality/records/<id:record_id>/review/", views.quality_review, name="quality_review"),
    path("quality/files/<id:file_id>/", views.quality_file_download, name="quality_file_download"),
]
