"""Writes an organization's export archive: one ZIP of open formats.

    export.json            everything below in one document (schema: docs/export-schema.json)
    orders.csv, jobs.csv, shipments.csv, ledger.csv   the tables a spreadsheet opens
    files/designs/<design>/<revision>/<name>           every revision's file as uploaded
    files/documents/<name>.pdf                         invoices and credit notes (billing's PDFs)
    files/quality/<order>/<step>-<kind>/<name>         inspection photos, files and documents
    README.txt                                         what is where

Sections are written one after another, reporting progress between them, so a page can show
how far the build has come.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any

from django.utils import timezone

from accounts.models import Organization
from marketplace.exports import sources
from marketplace.exports.sources import plain, row

FORMAT = "cloud-factory-export"
FORMAT_VERSION = 1
Progress = Callable[[int, str], None]

README = """Cloud Factory export of {name} ({kind}), made {at}.

export.json holds all of it: the organization and its members, designs and their revisions,
quotes, orders (with their status history and messages), jobs, shipments, inspection records
with their measurements and files, NDA acceptances, machines with their weekly hours, closures
and bookings, ledger lines, and the list of documents and files.
Its format is described by the JSON Schema export-schema.json in the project's docs.
Money is in minor units (cents) with its currency; times are ISO 8601 in UTC.

CSV copies of the main tables sit beside it; files/ holds every design file as uploaded, every
quality photo, file and document, and every invoice and credit note as PDF. The SHA-256 of
each file is listed in export.json.
"""


class ArchiveWriter:
    """A ZIP being written, remembering each file's path, size and checksum."""

    def __init__(self, target: IO[bytes]):
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.files: list[dict[str, Any]] = []

    def add(self, path: str, content: bytes, *, listed: bool = True) -> str:
        self.zip.writestr(path, content)
        if listed:
            self.files.append(
                {
                    "path": path,
                    "size_bytes": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
        return path

    def add_csv(self, path: str, rows: list[dict[str, Any]]) -> None:
        buffer = io.StringIO()
        columns = sorted({key for r in rows for key in r if not isinstance(r[key], dict | list)})
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        self.add(path, buffer.getvalue().encode())

    def close(self) -> None:
        self.zip.close()


def _safe_name(name: str) -> str:
    """A file name that cannot climb out of its folder in the archive."""
    cleaned = PurePosixPath(name.replace("\\", "/")).name.lstrip(".")
    return cleaned or "file"


def _designs(organization: Organization, archive: ArchiveWriter) -> list[dict]:
    out = []
    for design in sources.designs(organization):
        revisions = []
        for revision in sorted(design.revisions.all(), key=lambda r: r.number):
            files = {}
            if revision.file:
                path = (
                    f"files/designs/{design.pk}/{revision.number}/"
                    f"{_safe_name(revision.original_name)}"
                )
                with revision.file.open("rb") as handle:
                    files["file"] = archive.add(path, handle.read())
            revisions.append(row(revision, files=files))
        out.append({**row(design), "revisions": revisions})
    return out


def _quotes(organization: Organization) -> list[dict]:
    return [
        {
            **row(quote),
            "lines": [row(line) for line in quote.lines.all()],
            "options": [row(option) for option in quote.options.all()],
        }
        for quote in sources.quotes(organization)
    ]


def _orders(organization: Organization, jobs, legs) -> list[dict]:
    out = []
    for order in sources.orders(organization, job_rows=jobs, legs=legs):
        is_customer = order.organization_id == organization.pk
        data = row(order)
        if not is_customer:  # a workshop or carrier sees the order, not the customer's price
            for column in ("price_minor", "cost_minor", "margin_minor", "platform_fee_minor"):
                data.pop(column, None)
        data["role"] = "customer" if is_customer else "party"
        data["events"] = [row(event) for event in order.events.all()]
        data["messages"] = [
            {
                "id": message.pk,
                "author": message.author.full_name or message.author.email
                if message.author
                else "",
                "organization": message.organization.name,
                "body": message.body,
                "created_at": plain(message.created_at),
            }
            for message in order.messages.all()
            # A party keeps what it wrote; the whole conversation is the customer's.
            if is_customer or message.organization_id == organization.pk
        ]
        out.append(data)
    return out


def _quality(organization: Organization, archive: ArchiveWriter) -> tuple[list[dict], list[dict]]:
    """Inspection records with their measurements, and the steps' photos, files and documents
    (inspection reports, certificates) copied under files/quality/."""
    records = [
        {
            **row(record),
            "step": record.job.name,
            "measurements": [row(m) for m in record.measurements.all()],
        }
        for record in sources.quality_records(organization)
    ]
    files = []
    for item in sources.quality_files(organization):
        path = (
            f"files/quality/{item.order_id}/{item.job.sequence:02d}-{item.kind}/"
            f"{item.pk}-{_safe_name(item.served_name)}"
        )
        with item.file.open("rb") as handle:
            copied = archive.add(path, handle.read())
        files.append({**row(item, files={"file": copied}), "step": item.job.name})
    return records, files


def _nda_acceptances(organization: Organization) -> list[dict]:
    """The NDAs the organization accepted as a workshop ("accepted") and those accepted for its
    own designs ("owner"), each with the text as it was accepted."""
    return [
        {
            **row(acceptance),
            "side": "accepted" if acceptance.organization_id == organization.pk else "owner",
            "design": acceptance.design.name,
            "organization": acceptance.organization.name,
            "accepted_by": acceptance.user.full_name or acceptance.user.email,
        }
        for acceptance in sources.nda_acceptances(organization)
    ]


def _machines(organization: Organization) -> list[dict]:
    return [
        {
            **row(machine),
            "weekly_hours": [row(slot) for slot in machine.weekly_hours.all()],
            "exceptions": [row(closure) for closure in machine.exceptions.all()],
            "bookings": [row(booking) for booking in machine.bookings.all()],
        }
        for machine in sources.machines(organization)
    ]


def _ledger(organization: Organization) -> list[dict]:
    return [
        {
            "id": entry.pk,
            "transaction": entry.transaction_id,
            "kind": entry.transaction.kind,
            "description": entry.transaction.description,
            "order_id": entry.transaction.order_id,
            "account": entry.account.kind,
            "amount_minor": entry.amount_minor,
            "currency": entry.currency,
            "at": plain(entry.transaction.created_at),
        }
        for entry in sources.ledger(organization)
    ]


def _documents(organization: Organization, archive: ArchiveWriter) -> list[dict]:
    """Invoices (customers) or credit notes (workshops, carriers) per order, and the credit
    notes of refunds, rendered by billing's own PDF code."""
    from billing.credit_notes import credit_notes_for_organization, statement_with_credit_notes
    from billing.pdf import credit_note_pdf, invoice_pdf, refund_credit_note_pdf
    from billing.statements.records import order_dates

    if organization.kind == Organization.Kind.PLATFORM:
        return []
    documents = []
    for order_id in sorted(order_dates(organization)):
        statement = statement_with_credit_notes(organization=organization, order_id=order_id)
        if organization.kind == Organization.Kind.CUSTOMER:
            kind, content = "invoice", invoice_pdf(statement)
        else:
            kind, content = (
                "credit_note",
                credit_note_pdf(statement, organization_id=organization.pk),
            )
        path = archive.add(f"files/documents/{kind}-{_safe_name(statement.reference)}.pdf", content)
        documents.append({"kind": kind, "order": statement.reference, "file": path})
    for note in credit_notes_for_organization(organization=organization).order_by("pk"):
        path = archive.add(
            f"files/documents/refund-credit-note-{_safe_name(note.number)}.pdf",
            refund_credit_note_pdf(note),
        )
        documents.append({"kind": "refund_credit_note", "order": note.number, "file": path})
    return documents


def archive_write(*, organization: Organization, target: IO[bytes], progress: Progress) -> dict:
    """Writes the whole archive to `target` and returns export.json's content."""
    archive = ArchiveWriter(target)
    try:
        now = timezone.now()
        progress(5, "Organization and members")
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "generated_at": plain(now),
            "organization": {
                "id": organization.pk,
                "name": organization.name,
                "kind": organization.kind,
                "slug": organization.slug,
                "created_at": plain(organization.created_at),
            },
            "members": sources.members(organization),
        }
        progress(15, "Designs and their files")
        document["designs"] = _designs(organization, archive)
        progress(40, "Quotes")
        document["quotes"] = _quotes(organization)
        progress(50, "Orders, jobs and shipments")
        jobs, legs = sources.jobs(organization), sources.shipments(organization)
        document["orders"] = _orders(organization, jobs, legs)
        document["jobs"] = [row(job) for job in jobs]
        document["shipments"] = [row(leg) for leg in legs]
        progress(58, "Quality records and NDAs")
        document["quality_records"], document["quality_files"] = _quality(organization, archive)
        document["nda_acceptances"] = _nda_acceptances(organization)
        progress(65, "Machines and calendars")
        document["machines"] = _machines(organization)
        progress(75, "Ledger")
        document["ledger"] = _ledger(organization)
        progress(80, "Invoices and credit notes")
        document["documents"] = _documents(organization, archive)
        progress(95, "Writing the archive")
        archive.add_csv("orders.csv", document["orders"])
        archive.add_csv("jobs.csv", document["jobs"])
        archive.add_csv("shipments.csv", document["shipments"])
        archive.add_csv("ledger.csv", document["ledger"])
        document["files"] = list(archive.files)
        readme = README.format(name=organization.name, kind=organization.kind, at=now.isoformat())
        archive.add("README.txt", readme.encode(), listed=False)
        archive.add(
            "export.json", json.dumps(document, indent=1, ensure_ascii=False).encode(), listed=False
        )
        return document
    finally:  # a failed build still closes the ZIP, whose file is then thrown away
        archive.close()
