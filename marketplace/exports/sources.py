"""What an organization's export holds, read domain by domain (through each domain's selectors
where one exists) and turned into plain JSON values.

Every row is the model's own columns (relations as ids, files as their path in the archive), so
the archive follows the models without a second description to keep in step; the JSON Schema in
docs/export-schema.json names the columns a reader can rely on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

from accounts.models import Organization
from accounts.selectors import organization_members
from billing.selectors import ledger_entries_for_organization
from marketplace.designs.confidential import nda_acceptances_for_organization
from marketplace.designs.selectors import designs_of_organization
from marketplace.network.selectors import machines_of_workshop, workshop_for_organization
from marketplace.orders.models import Job, Order, QuoteRequest, Shipment
from marketplace.orders.selectors import jobs_on_record_of, shipments_for_carrier
from marketplace.quality.selectors import (
    quality_files_for_organization,
    quality_records_for_organization,
)

# Columns never exported: secrets and internal bookkeeping with no meaning outside.
HIDDEN_COLUMNS = {"password", "token", "secret", "idempotency_key"}


def plain(value: Any) -> Any:
    """A column's value as JSON: dates in ISO 8601 (UTC offsets kept), decimals as strings."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    if hasattr(value, "lower") and hasattr(value, "upper"):  # a PostgreSQL range
        return {"lower": plain(value.lower), "upper": plain(value.upper)}
    return str(value)


def row(obj: models.Model, *, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The object's columns; file columns become the path of the copy in the archive."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in HIDDEN_COLUMNS:
            continue
        if isinstance(field, models.FileField):
            out[field.name] = (files or {}).get(field.name, "")
            continue
        name = field.attname if field.is_relation else field.name
        out[name] = plain(getattr(obj, field.attname))
    return out


def members(organization: Organization) -> list[dict]:
    return [
        {
            "email": m.user.email,
            "full_name": m.user.full_name,
            "role": m.role,
            "joined_at": plain(m.created_at),
        }
        for m in organization_members(organization=organization)
    ]


def designs(organization: Organization):
    return designs_of_organization(organization=organization).order_by("pk")


def quotes(organization: Organization):
    return (
        QuoteRequest.objects.filter(organization=organization)
        .prefetch_related("lines", "options")
        .order_by("pk")
    )


def jobs(organization: Organization) -> list[Job]:
    workshop = workshop_for_organization(organization=organization)
    return list(jobs_on_record_of(workshop=workshop)) if workshop else []


def shipments(organization: Organization) -> list[Shipment]:
    carrier = getattr(organization, "carrier", None)
    return list(shipments_for_carrier(carrier=carrier)) if carrier else []


def orders(organization: Organization, *, job_rows: Iterable[Job], legs: Iterable[Shipment]):
    """The orders the organization is a party to: its own (customer) and those it works on."""
    worked_on = {job.order_id for job in job_rows} | {leg.order_id for leg in legs}
    return (
        Order.objects.filter(Q(organization=organization) | Q(pk__in=worked_on))
        .prefetch_related("events", "messages", "messages__author", "messages__organization")
        .order_by("pk")
    )


def machines(organization: Organization):
    workshop = workshop_for_organization(organization=organization)
    if workshop is None:
        return []
    return machines_of_workshop(workshop=workshop).prefetch_related(
        "weekly_hours", "exceptions", "bookings"
    )


def ledger(organization: Organization):
    return ledger_entries_for_organization(organization=organization).order_by(
        "transaction__created_at", "id"
    )


def quality_records(organization: Organization):
    return quality_records_for_organization(organization=organization)


def quality_files(organization: Organization):
    return quality_files_for_organization(organization=organization)


def nda_acceptances(organization: Organization):
    return nda_acceptances_for_organization(organization=organization)
