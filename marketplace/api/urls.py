from django.urls import path
from rest_framework.routers import SimpleRouter

from marketplace.api import order_views, views

router = SimpleRouter()
router.register("processes", views.ProcessViewSet, basename="process")
router.register("materials", views.MaterialViewSet, basename="material")
router.register("finishes", views.FinishViewSet, basename="finish")
router.register("certifications", views.CertificationViewSet, basename="certification")
router.register("workshops", views.WorkshopViewSet, basename="workshop")
router.register("machines", views.MachineViewSet, basename="machine")
router.register("designs", views.DesignViewSet, basename="design")
router.register("capacity/closures", views.CapacityExceptionViewSet, basename="capacity-closure")
router.register("quotes", order_views.QuoteViewSet, basename="quote")
router.register("orders", order_views.OrderViewSet, basename="order")
router.register("jobs", order_views.JobViewSet, basename="job")
router.register("shipments", order_views.ShipmentViewSet, basename="shipment")

urlpatterns = [
    path("capacity/", views.CapacityView.as_view(), name="api-capacity"),
    *router.urls,
]
