"""The marketplace's REST API: one router over the network, designs and orders viewsets."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:> path converter)
from config.api import Router
from marketplace.api.webhook_events import WebhookEventCatalogView
from marketplace.designs.api import parts
from marketplace.designs.api import views as designs
from marketplace.exports import api as exports
from marketplace.network.api import views as network
from marketplace.orders.api import outages
from marketplace.orders.api import views as orders
from marketplace.quality import api as quality

router = Router()
router.register("processes", network.ProcessViewSet, basename="process")
router.register("materials", network.MaterialViewSet, basename="material")
router.register("finishes", network.FinishViewSet, basename="finish")
router.register("certifications", network.CertificationViewSet, basename="certification")
router.register("workshops", network.WorkshopViewSet, basename="workshop")
router.register("machines", network.MachineViewSet, basename="machine")
router.register("designs", designs.DesignViewSet, basename="design")
router.register("part-templates", parts.PartTemplateViewSet, basename="part-template")
router.register("capacity/closures", network.CapacityExceptionViewSet, basename="capacity-closure")
router.register("quotes", orders.QuoteViewSet, basename="quote")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("jobs", orders.JobViewSet, basename="job")
router.register("shipments", orders.ShipmentViewSet, basename="shipment")

urlpatterns = [
    path("capacity/", network.CapacityView.as_view(), name="api-capacity"),
    path("outages/preview/", outages.OutagePreviewView.as_view(), name="api-outage-preview"),
    path("outages/", outages.OutageTakeDownView.as_view(), name="api-outage-take-down"),
    path("webhook-events/", WebhookEventCatalogView.as_view(), name="api-webhook-events"),
    path(
        "organizations/<id:organization_id>/exports/",
        exports.OrganizationExportsView.as_view(),
        name="api-organization-exports",
    ),
    path("exports/<id:export_id>/", exports.ExportDetailView.as_view(), name="api-export"),
    path(
        "exports/<id:export_id>/download/",
        exports.ExportDownloadView.as_view(),
        name="api-export-download",
    ),
    path(
        "orders/<id:order_id>/quality/",
        quality.OrderQualityView.as_view(),
        name="api-order-quality",
    ),
    path(
        "orders/<id:order_id>/quality/requirements/",
        quality.OrderQualityRequirementView.as_view(),
        name="api-order-quality-requirements",
    ),
    path(
        "orders/<id:order_id>/quality/archive/",
        quality.OrderQualityArchiveView.as_view(),
        name="api-order-quality-archive",
    ),
    path(
        "jobs/<id:job_id>/quality-record/",
        quality.JobQualityRecordView.as_view(),
        name="api-job-quality-record",
    ),
    path(
        "jobs/<id:job_id>/quality-files/",
        quality.JobQualityFileView.as_view(),
        name="api-job-quality-files",
    ),
    path(
        "quality-records/<id:record_id>/review/",
        quality.QualityRecordReviewView.as_view(),
        name="api-quality-record-review",
    ),
    path(
        "quality-files/<id:file_id>/download/",
        quality.QualityFileDownloadView.as_view(),
        name="api-quality-file-download",
    ),
    *router.urls,
]
