"""Reads of designs and revisions, each checked against the reader's organizations."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organization
from marketplace.designs.models import Design, DesignRevision
from marketplace.errors import NotFound


def designs_of_organization(*, organization: Organization) -> QuerySet[Design]:
    return (
        Design.objects.filter(organization=organization)
        .prefetch_related("revisions")
        .order_by("-created_at")
    )


def design_get_for_member(*, design_id: int, user) -> Design:
    """A design the user may see: their organization's, or any for operators."""
    design = (
        Design.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related("revisions")
        .filter(pk=design_id)
        .first()
    )
    if design is None:
        raise NotFound("No such design.")
    return design


def revision_get_for_member(*, revision_id: int, user) -> DesignRevision:
    """A revision whose design the user may see; the one gate for downloads and previews."""
    revision = (
        DesignRevision.objects.filter(design__in=Design.objects.visible_to(user), pk=revision_id)
        .select_related("design__organization")
        .first()
    )
    if revision is None:
        raise NotFound("No such design file.")
    return revision
