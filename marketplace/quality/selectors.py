"""Reads of quality records: what an order requires, what is missing, who may review."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import CharField, Q, QuerySet, Value

from accounts.models import Organization, User
from accounts.selectors import is_operator, organization_ids_of
from marketplace.errors import Conflict, DomainError, NotFound, PermissionDenied
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.inspection import INSPECTING, OPEN_FOR_INSPECTION, job_inspector_role
from marketplace.orders.models import Job, Order
from marketplace.orders.selectors import order_get_for_member
from marketplace.quality.judging import TIGHT_CLASSES
from marketplace.quality.models import DocumentKind, QualityFile, QualityRecord

# The customer chooses documents before production starts.
REQUIREMENTS_OPEN = (OrderStatus.PLACED, OrderStatus.PAID)


@dataclass(frozen=True)
class RequiredDocument:
    kind: str
    label: str
    because: str  # why the order needs it
    satisfied: bool
    removable: bool  # the customer's own choice, and the viewer may take it back now


def requirements_refusal(*, user: User, order: Order) -> DomainError | None:
    """Why ``user`` may not change the documents ``order`` requires now, or None: the one
    rule the service enforces and the page's buttons and the API's ``removable`` show."""
    if order.organization_id not in organization_ids_of(user=user):
        return PermissionDenied("Only the customer chooses the documents an order needs.")
    if order.status not in REQUIREMENTS_OPEN:
        return Conflict(
            "Production has started: the documents an order needs can no longer change.",
            code="requirements_closed",
        )
    return None


def class_documents(tolerances: Iterable[str]) -> dict[str, str]:
    """The documents the lines' tolerance classes require, each with why: an inspection
    report for a tight class. The checkout shows them ticked; the order requires them."""
    tight = sorted(set(tolerances) & TIGHT_CLASSES)
    if not tight:
        return {}
    return {
        DocumentKind.INSPECTION_REPORT: (
            f"a line is made to the {tight[0].replace('-', ' ')} tolerance class"
        )
    }


def required_documents(
    order: Order, *, viewer: User | None = None, files: Iterable[QualityFile] | None = None
) -> list[RequiredDocument]:
    """The documents the order needs: an inspection report for a tight tolerance class, and
    whatever its customer asked for, which is removable only by a ``viewer`` whose change
    ``requirements_refusal`` lets through. ``files``: the order's quality files when the
    caller has read them already (``files_of``), so that they are not read twice."""
    may_change = viewer is not None and requirements_refusal(user=viewer, order=order) is None
    # Sets of plain values: no ordering, so no join to the order for its default ordering.
    if files is None:
        have = set(order.quality_files.order_by().values_list("kind", flat=True))
    else:
        have = {item.kind for item in files}
    # The lines' tolerance classes and the customer's requirements in one query.
    tolerances = (
        order.option.request.lines.order_by()
        .annotate(source=Value("line", output_field=CharField()))
        .values_list("source", "tolerance")
    )
    asked = (
        order.quality_requirements.order_by()
        .annotate(source=Value("asked", output_field=CharField()))
        .values_list("source", "kind")
    )
    rows = list(tolerances.union(asked, all=True))
    reasons: dict[str, tuple[str, bool]] = {
        kind: (because, False)
        for kind, because in class_documents(
            value for source, value in rows if source == "line"
        ).items()
    }
    for kind in (value for source, value in rows if source == "asked"):
        reasons.setdefault(kind, ("the customer asked for it", may_change))
    return [
        RequiredDocument(kind, DocumentKind(kind).label, because, kind in have, removable)
        for kind, (because, removable) in sorted(reasons.items())
    ]


def documents_missing(order: Order) -> list[str]:
    """The labels of the required documents nobody has uploaded yet."""
    return [r.label for r in required_documents(order) if not r.satisfied]


def next_step_of(job: Job) -> Job | None:
    """The live step after ``job`` at another workshop: the first to have the parts in hand."""
    return (
        Job.objects.filter(
            order_id=job.order_id,
            sequence__gt=job.sequence,
            status__in=INSPECTING,
        )
        .exclude(workshop_id=job.workshop_id)
        .select_related("workshop")
        .order_by("sequence", "pk")
        .first()
    )


def reviewer_role(*, user: User, job: Job, record: QualityRecord | None = None) -> Role | None:
    """Who may accept or reject ``job``'s record now: whoever may record its inspection
    (a later inspection step, the customer once delivered, an operator), or the workshop of
    the step right after it, which received the parts. Never a member of the workshop that
    did the work, whatever other organization they also act for, nor whoever recorded it."""
    if record is not None and record.recorded_by_id == user.pk:
        return None
    if job.workshop.organization_id in organization_ids_of(user=user):
        return None
    role = job_inspector_role(user=user, job=job)
    if role is not None:
        return role
    if job.status != Job.Status.DONE or job.order.status not in OPEN_FOR_INSPECTION:
        return None
    following = next_step_of(job)
    if following is not None and following.workshop.organization_id in organization_ids_of(
        user=user
    ):
        return Role.WORKSHOP
    return None


def may_read_quality(*, user: User, order: Order, acting_as: Organization | None = None) -> bool:
    """Quality records and files are for the customer, the workshops holding a step of the
    order and operators; a carrier moves the parts but does not read their inspection. A user
    who acts as one organization explicitly (``acting_as``) reads as that one only, as they
    upload: a member of two workshops does not read one's steps as the other. Operators, and
    members of the customer (whatever they act as: the order page shows them the order), are
    not narrowed."""
    if is_operator(user=user):
        return True
    mine = organization_ids_of(user=user)
    if order.organization_id in mine:
        return True
    if acting_as is not None:
        mine = mine & {acting_as.pk}
    return Job.objects.filter(
        order_id=order.pk, status__in=Job.HELD, workshop__organization_id__in=mine
    ).exists()


def order_quality_get(*, order_id: int, user: User, acting_as: Organization | None = None) -> Order:
    """The order whose quality records the user (as ``acting_as`` when they chose an
    organization) may read; anybody else's is not found."""
    order = order_get_for_member(order_id=order_id, user=user)
    if not may_read_quality(user=user, order=order, acting_as=acting_as):
        raise NotFound("No such order.")
    return order


# One order's records and files in their models' order without its first key (the order),
# which would join the orders table only to sort by a value every row shares.
def records_of(order: Order) -> list[QualityRecord]:
    return list(
        order.quality_records.select_related("job__workshop", "recorded_by", "reviewed_by")
        .prefetch_related("measurements")
        .order_by("job__sequence", "pk")
    )


def files_of(order: Order) -> list[QualityFile]:
    return list(
        order.quality_files.select_related("job__workshop").order_by(
            "job__sequence", "uploaded_at", "pk"
        )
    )


def _kept_by(organization: Organization) -> Q:
    """What an organization keeps of quality: all of its own orders' (the customer's) and its
    own steps' (a workshop's), never another workshop's step on someone else's order."""
    return Q(order__organization=organization) | Q(job__workshop__organization=organization)


def quality_records_for_organization(*, organization: Organization) -> QuerySet[QualityRecord]:
    """For the organization's export: its inspection records with their measurements."""
    return (
        QualityRecord.objects.filter(_kept_by(organization))
        .select_related("job")
        .prefetch_related("measurements")
        .order_by("order_id", "job__sequence", "pk")
    )


def quality_files_for_organization(*, organization: Organization) -> QuerySet[QualityFile]:
    """For the organization's export: the photos, files and documents of the same steps."""
    return (
        QualityFile.objects.filter(_kept_by(organization))
        .select_related("job")
        .order_by("order_id", "job__sequence", "pk")
    )


def quality_file_get(
    *, file_id: int, user: User, acting_as: Organization | None = None
) -> QualityFile:
    """A quality file of an order the user (as ``acting_as``) may see; anybody else's is not
    found."""
    item = QualityFile.objects.filter(pk=file_id).select_related("order").first()
    if item is None:
        raise NotFound("No such file.")
    try:
        order_quality_get(order_id=item.order_id, user=user, acting_as=acting_as)
    except NotFound:
        raise NotFound("No such file.") from None
    return item


def quality_record_get(
    *, record_id: int, user: User, acting_as: Organization | None = None
) -> QualityRecord:
    record = QualityRecord.objects.filter(pk=record_id).select_related("job", "order").first()
    if record is None:
        raise NotFound("No such inspection record.")
    try:
        order_quality_get(order_id=record.order_id, user=user, acting_as=acting_as)
    except NotFound:
        raise NotFound("No such inspection record.") from None
    return record
