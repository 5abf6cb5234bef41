from django.urls import path

from marketplace.views import dashboard, designs, network, workshop

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("network/", network.network, name="network"),
    path("network/workshops/<int:workshop_id>/", network.workshop_detail, name="workshop_detail"),
    path(
        "network/workshops/<int:workshop_id>/verify/",
        network.workshop_verify,
        name="workshop_verify",
    ),
    path("workshop/", workshop.workshop_profile, name="workshop_profile"),
    path("workshop/photos/", workshop.workshop_photo_add, name="workshop_photo_add"),
    path("workshop/photos/<int:photo_id>/", workshop.workshop_photo, name="workshop_photo"),
    path("workshop/machines/new/", workshop.machine_edit, name="machine_new"),
    path("workshop/machines/<int:machine_id>/edit/", workshop.machine_edit, name="machine_edit"),
    path(
        "workshop/machines/<int:machine_id>/delete/", workshop.machine_delete, name="machine_delete"
    ),
    path(
        "workshop/machines/<int:machine_id>/capacity/",
        workshop.machine_capacity,
        name="machine_capacity",
    ),
    path(
        "workshop/machines/<int:machine_id>/closures/",
        workshop.capacity_exception_add,
        name="capacity_exception_add",
    ),
    path(
        "workshop/closures/<int:exception_id>/remove/",
        workshop.capacity_exception_remove,
        name="capacity_exception_remove",
    ),
    path(
        "workshop/machines/<int:machine_id>/status/", workshop.machine_status, name="machine_status"
    ),
]

urlpatterns += [
    path("designs/", designs.design_list, name="design_list"),
    path("designs/upload/", designs.design_upload, name="design_upload"),
    path("designs/<int:design_id>/", designs.design_detail, name="design_detail"),
    path("designs/<int:design_id>/delete/", designs.design_delete, name="design_delete"),
    path("designs/files/<int:revision_id>/", designs.design_download, name="design_download"),
    path("designs/files/<int:revision_id>/status/", designs.design_status, name="design_status"),
    path(
        "designs/files/<int:revision_id>/thumbnail.png",
        designs.design_thumbnail,
        name="design_thumbnail",
    ),
    path(
        "designs/files/<int:revision_id>/preview.stl", designs.design_preview, name="design_preview"
    ),
]
