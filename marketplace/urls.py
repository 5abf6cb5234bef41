"""The marketplace's pages: dashboards, the network and workshops, designs, orders."""

from django.urls import include, path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from marketplace.dashboards import views as dashboard
from marketplace.designs import confidential_views
from marketplace.designs import views as designs
from marketplace.network import views as network
from marketplace.orders import checkout_views, work_views
from marketplace.orders import views as orders
from marketplace.shopfloor import views as shopfloor

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("operations/outages/", dashboard.operator_outage, name="operator_outage"),
    path("shopfloor/", shopfloor.shopfloor_live, name="shopfloor_live"),
    path("shopfloor/keys/", shopfloor.device_key_new, name="device_key_new"),
    path(
        "shopfloor/keys/<id:key_id>/revoke/",
        shopfloor.device_key_revoke,
        name="device_key_revoke",
    ),
    path(
        "shopfloor/machines/<id:machine_id>/silence/",
        shopfloor.machine_feed_settings,
        name="machine_feed_settings",
    ),
    path("network/", network.network, name="network"),
    path("network/basemap/<str:key>.svg", network.network_basemap, name="network_basemap"),
    path("network/workshops/<id:workshop_id>/", network.workshop_detail, name="workshop_detail"),
    path(
        "network/workshops/<id:workshop_id>/verify/",
        network.workshop_verify,
        name="workshop_verify",
    ),
    path("workshop/", network.workshop_profile, name="workshop_profile"),
    path("workshop/photos/", network.workshop_photo_add, name="workshop_photo_add"),
    path("workshop/photos/<id:photo_id>/", network.workshop_photo, name="workshop_photo"),
    path("workshop/machines/new/", network.machine_edit, name="machine_new"),
    path("workshop/machines/<id:machine_id>/edit/", network.machine_edit, name="machine_edit"),
    path(
        "workshop/machines/<id:machine_id>/delete/", network.machine_delete, name="machine_delete"
    ),
    path(
        "workshop/machines/<id:machine_id>/capacity/",
        network.machine_capacity,
        name="machine_capacity",
    ),
    path(
        "workshop/machines/<id:machine_id>/closures/",
        network.capacity_exception_add,
        name="capacity_exception_add",
    ),
    path(
        "workshop/closures/<id:exception_id>/remove/",
        network.capacity_exception_remove,
        name="capacity_exception_remove",
    ),
    path(
        "workshop/machines/<id:machine_id>/status/", network.machine_status, name="machine_status"
    ),
]

urlpatterns += [
    path("designs/", designs.design_list, name="design_list"),
    path("designs/upload/", designs.design_upload, name="design_upload"),
    path("designs/new-part/", designs.part_designer, name="part_designer"),
    path(
        "designs/files/<id:revision_id>/part.step",
        designs.design_step_download,
        name="design_step_download",
    ),
    path("designs/<id:design_id>/", designs.design_detail, name="design_detail"),
    path("designs/<id:design_id>/delete/", designs.design_delete, name="design_delete"),
    path("designs/files/<id:revision_id>/", designs.design_download, name="design_download"),
    path("designs/files/<id:revision_id>/status/", designs.design_status, name="design_status"),
    path("designs/files/<id:revision_id>/prices/", designs.design_prices, name="design_prices"),
    path(
        "designs/files/<id:revision_id>/override/",
        designs.design_findings_override,
        name="design_findings_override",
    ),
    path(
        "designs/files/<id:revision_id>/thumbnail.png",
        designs.design_thumbnail,
        name="design_thumbnail",
    ),
    path(
        "designs/files/<id:revision_id>/preview.stl", designs.design_preview, name="design_preview"
    ),
    path(
        "designs/<id:design_id>/confidentiality/",
        confidential_views.design_confidentiality,
        name="design_confidentiality",
    ),
    path(
        "designs/<id:design_id>/nda/accept/",
        confidential_views.design_nda_accept,
        name="design_nda_accept",
    ),
    path(
        "designs/<id:design_id>/access-log/",
        confidential_views.design_access_log,
        name="design_access_log",
    ),
]

urlpatterns += [
    path("quotes/new/", orders.quote_new, name="quote_new"),
    path("quotes/<id:quote_id>/", orders.quote_detail, name="quote_detail"),
    path("quotes/<id:quote_id>/status/", orders.quote_status, name="quote_status"),
    path("quotes/options/<id:option_id>/order/", orders.order_place, name="order_place"),
    path(
        "quotes/options/<id:option_id>/checkout/",
        checkout_views.order_checkout,
        name="order_checkout",
    ),
    path("orders/<id:order_id>/proforma/", checkout_views.order_proforma, name="order_proforma"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<id:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<id:order_id>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<id:order_id>/dispute/", orders.order_dispute, name="order_dispute"),
    path(
        "orders/<id:order_id>/confirm-delivery/",
        orders.order_confirm_delivery,
        name="order_confirm_delivery",
    ),
    path("orders/<id:order_id>/complete/", orders.order_complete, name="order_complete"),
    path("orders/<id:order_id>/messages/", orders.order_message, name="order_message"),
    path(
        "orders/<id:order_id>/jobs/<id:job_id>/inspection/",
        orders.job_inspection,
        name="job_inspection",
    ),
    path("orders/<id:order_id>/reviews/", orders.order_review, name="order_review"),
    path("jobs/", orders.job_board, name="job_board"),
    path("jobs/<id:job_id>/", work_views.job_detail, name="job_detail"),
    path("jobs/<id:job_id>/<str:action>/", orders.job_action, name="job_action"),
    path("shipments/", orders.shipment_board, name="shipment_board"),
    path("shipments/<id:shipment_id>/", work_views.shipment_detail, name="shipment_detail"),
    path(
        "shipments/<id:shipment_id>/<str:action>/", orders.shipment_action, name="shipment_action"
    ),
]

urlpatterns += [
    path("designs/<id:design_id>/report/", designs.design_report, name="design_report"),
    path(
        "moderation/reports/<id:report_id>/decide/",
        designs.design_report_decide,
        name="design_report_decide",
    ),
    path(
        "orders/<id:order_id>/resolve-dispute/",
        orders.order_resolve_dispute,
        name="order_resolve_dispute",
    ),
    path("", include("marketplace.exports.urls")),
    path("", include("marketplace.quality.urls")),
]
