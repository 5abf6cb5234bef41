"""Reads of designs and revisions, each checked against the reader's organizations."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects

from accounts.models import Organization
from accounts.selectors import is_operator, organization_ids_of
from marketplace.designs.confidential import nda_pending_organization
from marketplace.designs.models import (
    Design,
    DesignDownload,
    DesignRevision,
    NdaAcceptance,
    workshop_revisions_q,
)
from marketplace.errors import NotFound


def designs_of_organization(*, organization: Organization) -> QuerySet[Design]:
    return (
        Design.objects.filter(organization=organization)
        .prefetch_related("revisions")
        .order_by("-created_at")
    )


def design_get_for_member(*, design_id: int, user, acting_as: Organization | None = None) -> Design:
    """A design the user may see: their organization's, one a workshop holds a job for, or any
    for operators. Its prefetched revisions are only those the user may read, so the page, the
    API and `Design.latest` never show a workshop a revision it was not given; when the user
    acts as one organization (``acting_as``), only those that organization may read."""
    design = (
        Design.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("revisions", queryset=DesignRevision.objects.visible_to(user).order_by())
        )
        .filter(pk=design_id)
        .first()
    )
    if design is None:
        raise NotFound("No such design.")
    if _narrowed(design=design, user=user, acting_as=acting_as):
        design._prefetched_objects_cache.pop("revisions", None)
        readable = _readable_as(DesignRevision.objects.visible_to(user), user, acting_as)
        prefetch_related_objects([design], Prefetch("revisions", queryset=readable.order_by()))
    return design


def design_get_for_reader(*, design_id: int, user, acting_as: Organization | None = None) -> Design:
    """The design to show on its page and as the API's detail: read as a chosen organization
    that is not its owner and can neither read a revision nor accept the NDA for one (it holds
    no step), a confidential design is not found rather than shown with no revision."""
    design = design_get_for_member(design_id=design_id, user=user, acting_as=acting_as)
    if (
        design.latest is None
        and _narrowed(design=design, user=user, acting_as=acting_as)
        and nda_pending_organization(design=design, user=user, acting_as=acting_as) is None
    ):
        raise NotFound("No such design.")
    return design


def revision_get_for_member(
    *, revision_id: int, user, acting_as: Organization | None = None
) -> DesignRevision:
    """A revision the user may read (as ``acting_as`` when they chose an organization); the
    one gate for downloads and previews."""
    revision = (
        DesignRevision.objects.visible_to(user)
        .filter(pk=revision_id)
        .select_related("design__organization")
        .first()
    )
    if revision is not None and _narrowed(design=revision.design, user=user, acting_as=acting_as):
        revision = _readable_as(DesignRevision.objects, user, acting_as).filter(pk=revision.pk)
        revision = revision.select_related("design__organization").first()
    if revision is None:
        raise NotFound("No such design file.")
    return revision


def _narrowed(*, design: Design, user, acting_as: Organization | None) -> bool:
    """Whether the chosen organization, not all of the user's, decides what they read: for a
    confidential design read by someone acting as another organization than its owner."""
    return (
        acting_as is not None
        and design.confidential
        and acting_as.pk != design.organization_id
        and not is_operator(user=user)
    )


def _readable_as(revisions, user, acting_as: Organization) -> QuerySet[DesignRevision]:
    """The revisions the chosen workshop holds a job on and whose current NDA it accepted."""
    held = DesignRevision.objects.filter(
        workshop_revisions_q(user=user), quote_lines__jobs__workshop__organization=acting_as
    ).values("pk")
    accepted = NdaAcceptance.objects.filter(
        design=OuterRef("design"), nda_hash=OuterRef("design__nda_hash"), organization=acting_as
    )
    return revisions.filter(Exists(accepted), pk__in=held)


def revision_reader_organization(
    *, revision: DesignRevision, user, acting_as: Organization | None = None
) -> Organization | None:
    """The organization a user reads a revision for: the one they act as when they chose
    one, else the owner, else the workshop holding a job on it, else any of theirs (an
    operator's platform)."""
    if acting_as is not None:
        return acting_as
    ids = organization_ids_of(user=user)
    if revision.design.organization_id in ids:
        return revision.design.organization
    holding = DesignRevision.objects.filter(workshop_revisions_q(user=user), pk=revision.pk)
    workshop_org_ids = holding.values_list(
        "quote_lines__jobs__workshop__organization_id", flat=True
    )
    if revision.design.confidential:  # read through the workshop that accepted the NDA
        workshop_org_ids = NdaAcceptance.objects.filter(
            design_id=revision.design_id,
            nda_hash=revision.design.nda_hash,
            organization_id__in=workshop_org_ids,
        ).values("organization_id")
    organizations = Organization.objects.filter(pk__in=ids)
    return (
        organizations.filter(pk__in=workshop_org_ids).order_by("pk").first()
        or organizations.order_by("pk").first()
    )


def design_downloads(*, design: Design, limit: int = 100) -> list[DesignDownload]:
    """The latest downloads of a design's files, newest first, for its owner's page."""
    return list(
        DesignDownload.objects.filter(revision__design=design).select_related(
            "revision", "user", "organization"
        )[:limit]
    )
