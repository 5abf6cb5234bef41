"""The marketplace app's models, defined in their domain packages and registered here.

Django loads `marketplace.models`; every model lives in `network/`, `designs/`, `orders/` or
`shopfloor/` under the one app label, so moving them needed no migration. Landed migrations
also refer to `_design_upload_path`, `_design_derived_path`, `TsTzRange` and
`PostgresExclusionConstraint` here by name.
"""

from marketplace.designs.models import (
    Design,
    DesignDownload,
    DesignQuerySet,
    DesignReport,
    DesignRevision,
    NdaAcceptance,
    _design_derived_path,
    _design_upload_path,
)
from marketplace.exports.models import OrganizationExport
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Certification,
    Finish,
    Machine,
    MachineStatusChange,
    Material,
    PostgresExclusionConstraint,
    Process,
    TsTzRange,
    WeeklyAvailability,
    Workshop,
    WorkshopPhoto,
    WorkshopQuerySet,
)
from marketplace.orders.models import (
    DisputeDecision,
    Job,
    Message,
    Order,
    OrderEvent,
    OrderQuerySet,
    QuoteLine,
    QuoteOption,
    QuoteRequest,
    Review,
    Shipment,
)
from marketplace.shopfloor.models import DeviceKey, MachineFeed, ProcessedEvent

__all__ = [
    "CapacityBooking",
    "CapacityException",
    "Carrier",
    "Certification",
    "Design",
    "DesignDownload",
    "DesignQuerySet",
    "DesignReport",
    "DesignRevision",
    "DeviceKey",
    "DisputeDecision",
    "Finish",
    "Job",
    "Machine",
    "MachineFeed",
    "MachineStatusChange",
    "Material",
    "Message",
    "NdaAcceptance",
    "Order",
    "OrderEvent",
    "OrderQuerySet",
    "OrganizationExport",
    "PostgresExclusionConstraint",
    "Process",
    "ProcessedEvent",
    "QuoteLine",
    "QuoteOption",
    "QuoteRequest",
    "Review",
    "Shipment",
    "TsTzRange",
    "WeeklyAvailability",
    "Workshop",
    "WorkshopPhoto",
    "WorkshopQuerySet",
    "_design_derived_path",
    "_design_upload_path",
]
