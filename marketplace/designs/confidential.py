"""Confidential designs: the owner's rule and NDA, workshops' acceptances, and the access log.

The rule is stored on ``Design`` and handed to the matcher as a pure
``matching.confidentiality.ConfidentialityRule``, so quotes and re-plans only place its steps
with workshops that meet it. A workshop that holds a job sees the files only once one of its
members accepted the current NDA text (``nda_cleared_q`` in the revision queryset); every
read by another organization is logged as a ``DesignDownload`` of the matching ``kind``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.places import PlaceNotFound, country_code
from accounts.selectors import organization_ids_of
from marketplace.designs.models import (
    Design,
    DesignDownload,
    DesignRevision,
    NdaAcceptance,
    nda_hash_of,
    workshop_revisions_q,
)
from marketplace.errors import DomainError, PermissionDenied
from marketplace.network.models import Certification, Workshop
from matching.confidentiality import ConfidentialityRule

NDA_MAX_CHARS = 20_000


class ConfidentialityInvalid(DomainError):
    code = "confidentiality_invalid"


def confidentiality_rule_of(design: Design) -> ConfidentialityRule | None:
    """The design's rule as the matcher reads it; None for an open design. Reads the
    prefetched ``required_certifications`` and ``allowed_workshops`` when they are."""
    if not design.confidential:
        return None
    return ConfidentialityRule(
        certifications=frozenset(c.code for c in design.required_certifications.all()),
        countries=frozenset(str(c).upper() for c in design.allowed_countries or ()),
        workshops=frozenset(str(w.pk) for w in design.allowed_workshops.all()),
    )


def _countries(codes: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in codes:
        if not str(raw).strip():
            continue
        try:
            code = country_code(str(raw))
        except PlaceNotFound as error:
            raise ConfidentialityInvalid(str(error)) from None
        if code not in out:
            out.append(code)
    return sorted(out)


def _certifications(codes: Iterable[str]) -> list[Certification]:
    wanted = sorted({str(c).strip() for c in codes if str(c).strip()})
    found = list(Certification.objects.filter(code__in=wanted))
    missing = sorted(set(wanted) - {c.code for c in found})
    if missing:
        raise ConfidentialityInvalid(f"No such certification: {', '.join(missing)}.")
    return found


def _workshops(ids: Iterable[int]) -> list[Workshop]:
    wanted = sorted(set(ids))
    found = list(Workshop.objects.verified().filter(pk__in=wanted))
    missing = sorted(set(wanted) - {w.pk for w in found})
    if missing:
        raise ConfidentialityInvalid(
            f"No verified workshop has the id {', '.join(map(str, missing))}."
        )
    return found


def design_confidentiality_set(
    *,
    user: User,
    design: Design,
    confidential: bool,
    certifications: Iterable[str] = (),
    countries: Iterable[str] = (),
    workshops: Iterable[int] = (),
    nda_text: str = "",
) -> Design:
    """The owner marks a design confidential (or open again) and sets who may make it.

    A confidential design needs an NDA text; a changed text gets a new hash, so every
    workshop must accept it again before it sees the files."""
    require_membership(user=user, organization=design.organization)
    nda_text = (nda_text or "").strip()
    if confidential and not nda_text:
        raise ConfidentialityInvalid("Write the NDA text a workshop must accept to see the part.")
    if len(nda_text) > NDA_MAX_CHARS:
        raise ConfidentialityInvalid(f"The NDA text is longer than {NDA_MAX_CHARS} characters.")
    codes = _countries(countries)
    certified = _certifications(certifications)
    named = _workshops(workshops)
    with transaction.atomic():
        design = Design.objects.select_for_update().get(pk=design.pk)
        design.confidential = confidential
        design.allowed_countries = codes
        design.nda_text = nda_text
        design.nda_hash = nda_hash_of(nda_text) if nda_text else ""
        if confidential and design.confidential_since is None:
            design.confidential_since = timezone.now()
        if not confidential:
            design.confidential_since = None
        design.save()
        design.required_certifications.set(certified)
        design.allowed_workshops.set(named)
    return design


def nda_pending_organization(
    *, design: Design, user: User, acting_as: Organization | None = None
) -> Organization | None:
    """The user's workshop that holds a job on this confidential design and has not accepted
    its current NDA; None when there is nothing to accept. When the user acts as one
    organization (``acting_as``), only that one is considered."""
    if not design.confidential:
        return None
    holding = (
        DesignRevision.objects.filter(workshop_revisions_q(user=user), design=design)
        .values_list("quote_lines__jobs__workshop__organization_id", flat=True)
        .distinct()
    )
    mine = _candidates(user=user, acting_as=acting_as)
    accepted = set(
        NdaAcceptance.objects.filter(design=design, nda_hash=design.nda_hash).values_list(
            "organization_id", flat=True
        )
    )
    pending = sorted({pk for pk in holding if pk in mine} - accepted)
    return Organization.objects.filter(pk__in=pending[:1]).first() if pending else None


def _candidates(*, user: User, acting_as: Organization | None) -> set[int]:
    """The organizations a reader may act for here: the one they chose, else all of theirs."""
    mine = set(organization_ids_of(user=user))
    return mine & {acting_as.pk} if acting_as is not None else mine


def nda_accept(
    *, user: User, design: Design, nda_hash: str, acting_as: Organization | None = None
) -> NdaAcceptance:
    """A named member accepts the NDA text they read (its hash) for their workshop, the one
    they act as when they chose one.

    Refused when the text changed since the page was shown, so nobody accepts words they
    did not see; the hash is checked even when the workshop accepted already."""
    organization = nda_pending_organization(design=design, user=user, acting_as=acting_as)
    existing = NdaAcceptance.objects.filter(
        design=design,
        nda_hash=design.nda_hash,
        organization_id__in=_candidates(user=user, acting_as=acting_as),
    ).first()
    if organization is None and existing is None:
        raise PermissionDenied(
            f"{acting_as} holds no job on this design, so it has no NDA to accept."
            if acting_as is not None
            else "Only a workshop holding a job on this design accepts its NDA."
        )
    if nda_hash != design.nda_hash:
        raise ConfidentialityInvalid(
            "The NDA text changed since you opened the page; read it again and accept."
        )
    if organization is None:
        return existing
    try:
        with transaction.atomic():
            return NdaAcceptance.objects.create(
                design=design,
                organization=organization,
                user=user,
                nda_hash=design.nda_hash,
                nda_text=design.nda_text,
            )
    except IntegrityError:  # a colleague accepted at the same moment
        return NdaAcceptance.objects.get(
            design=design, organization=organization, nda_hash=design.nda_hash
        )


def design_access_record(
    *, revision: DesignRevision, user: User, kind: str, acting_as: Organization | None = None
) -> DesignDownload | None:
    """Logs a read by another organization (views, 3D views, pictures); downloads are logged
    for everyone, the owner's too. The caller has checked access already."""
    from marketplace.designs.selectors import revision_reader_organization

    organization = revision_reader_organization(revision=revision, user=user, acting_as=acting_as)
    own = organization is not None and organization.pk == revision.design.organization_id
    if own and kind != DesignDownload.Kind.DOWNLOAD:
        return None
    return DesignDownload.objects.create(
        revision=revision, user=user, organization=organization, kind=kind
    )


def design_access_log(*, design: Design) -> QuerySet[DesignDownload]:
    """Every logged read of the design's revisions, newest first, for its owner."""
    return DesignDownload.objects.filter(revision__design=design).select_related(
        "revision", "user", "organization"
    )


def nda_acceptances_for_organization(*, organization: Organization) -> QuerySet[NdaAcceptance]:
    """For the organization's export: the NDAs it accepted as a workshop and the acceptances
    of its own designs' NDAs, oldest first."""
    return (
        NdaAcceptance.objects.filter(
            Q(organization=organization) | Q(design__organization=organization)
        )
        .select_related("design", "organization", "user")
        .order_by("accepted_at", "pk")
    )


def nda_acceptances(*, design: Design) -> QuerySet[NdaAcceptance]:
    return NdaAcceptance.objects.filter(design=design).select_related("organization", "user")


def reader_watermark(
    *, revision: DesignRevision, user: User, acting_as: Organization | None = None
) -> str | None:
    """The words to mark a confidential design's pictures with for this reader (name,
    organization, today's date); None for its owner or an open design."""
    from marketplace.designs.selectors import revision_reader_organization
    from marketplace.designs.watermark import watermark_text

    if not revision.design.confidential:
        return None
    organization = revision_reader_organization(revision=revision, user=user, acting_as=acting_as)
    if organization is not None and organization.pk == revision.design.organization_id:
        return None
    name = (user.get_full_name() or "").strip() or user.email
    return watermark_text(
        reader=name,
        organization=organization.name if organization else "",
        day=timezone.localdate().isoformat(),
    )
