"""Designs, their uploaded revisions with analysis results, and reports against them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Organization


def processes_refused(analysis: dict | None) -> frozenset[str]:
    """Process codes an analysis says cannot make the part: its own verdict per process and,
    for a part made from a template, the template's rules. A process it did not assess is not
    refused (it may have joined the network since)."""
    analysis = analysis or {}
    assessed = (analysis.get("manufacturability") or {}).get("processes") or []
    refused = {p["code"] for p in assessed if not p.get("can_make", True)}
    refused.update(
        finding["process"]
        for finding in analysis.get("template_findings") or []
        if finding.get("severity") == "error" and finding.get("process")
    )
    return frozenset(refused)


DESIGN_EXTENSIONS = {
    "stl_binary": "stl",
    "stl_ascii": "stl",
    "3mf": "3mf",
    "obj": "obj",
    "step": "step",
}


def _design_upload_path(revision: DesignRevision, filename: str) -> str:
    """Generated names only: the customer's file name never reaches the file system."""
    extension = DESIGN_EXTENSIONS.get(revision.format, "bin")
    return f"designs/{revision.design.organization_id}/{uuid.uuid4().hex}.{extension}"


def _design_derived_path(revision: DesignRevision, filename: str) -> str:
    return f"designs/{revision.design.organization_id}/derived/{uuid.uuid4().hex}-{filename}"


# Job statuses (orders' Job.Status, by value) under which a workshop holds the step it was given:
# the one home of that rule (orders' Job.HELD is built from these).
LIVE_JOB_STATUSES = ("offered", "accepted", "in_progress")
DONE_JOB_STATUS = "done"


def _held_q(job: str, now: datetime | None) -> Q:
    """The job at the path ``job`` is held: live, or done less than
    DESIGN_ACCESS_DAYS_AFTER_JOB days ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DESIGN_ACCESS_DAYS_AFTER_JOB)
    return Q(**{f"{job}status__in": LIVE_JOB_STATUSES}) | Q(
        **{f"{job}status": DONE_JOB_STATUS, f"{job}finished_at__gte": cutoff}
    )


def workshop_revisions_q(*, user, now: datetime | None = None) -> Q:
    """Revisions handed to the user's workshops for a job they hold: a live job, or a done one
    that finished less than DESIGN_ACCESS_DAYS_AFTER_JOB days ago.

    Follows the orders' relations by name, so designs import nothing of orders. Used inside
    one filter() call, every condition applies to the same job.
    """
    job = "quote_lines__jobs__"
    return _held_q(job, now) & Q(**{f"{job}workshop__organization__memberships__user": user})


class DesignQuerySet(models.QuerySet["Design"]):
    def visible_to(self, user) -> DesignQuerySet:
        """The organization's own designs, those with a revision a workshop holds a job for,
        all for operators."""
        from accounts.selectors import is_operator

        if not user.is_authenticated:
            return self.none()
        if is_operator(user=user):
            return self
        given = DesignRevision.objects.filter(workshop_revisions_q(user=user)).values("design_id")
        return self.filter(Q(organization__memberships__user=user) | Q(pk__in=given)).distinct()


def nda_cleared_q(*, user, now: datetime | None = None) -> Q:
    """The design is open, or a workshop of the user's that holds a job on this very revision
    accepted its current NDA text: the second gate (after holding a job) before a workshop
    sees a confidential part.

    Acceptance binds the workshop organization that accepted, never the person: a member of
    two workshops does not carry one's acceptance to the other, nor does a re-plan that moves
    the step to another workshop carry it there.
    """
    job = "organization__workshop__jobs__"
    accepted = NdaAcceptance.objects.filter(
        _held_q(job, now),
        Q(**{f"{job}line__revision": OuterRef("pk")}),
        design=OuterRef("design"),
        nda_hash=OuterRef("design__nda_hash"),
        organization__memberships__user=user,
    )
    return Q(design__confidential=False) | Q(Exists(accepted))


def nda_hash_of(text: str) -> str:
    """The NDA's version: the SHA-256 of its text with line ends and outer blanks normalised,
    so re-saving the same words needs no new acceptance and any change of words does."""
    normal = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha256(normal.encode()).hexdigest()


class DesignRevisionQuerySet(models.QuerySet["DesignRevision"]):
    def visible_to(self, user) -> DesignRevisionQuerySet:
        """Every revision for its organization and operators; for a workshop, only the
        revisions it was given for the jobs it holds (a later upload is not part of the job)."""
        from accounts.selectors import is_operator

        if not user.is_authenticated:
            return self.none()
        if is_operator(user=user):
            return self
        given = (
            DesignRevision.objects.filter(workshop_revisions_q(user=user))
            .filter(nda_cleared_q(user=user))
            .values("pk")
        )
        return self.filter(
            Q(design__organization__memberships__user=user) | Q(pk__in=given)
        ).distinct()


class Design(models.Model):
    """A part a customer wants made; each upload of a new version is a revision."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="designs")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    blocked = models.BooleanField(
        default=False, help_text="Blocked by an operator after a report: it cannot be quoted."
    )
    blocked_reason = models.CharField(max_length=500, blank=True)
    # Confidential: only workshops meeting every part of the rule set below are offered its
    # steps, and a workshop sees its files only after one of its members accepted the NDA.
    confidential = models.BooleanField(default=False)
    required_certifications = models.ManyToManyField(
        "marketplace.Certification", blank=True, related_name="+"
    )
    allowed_countries = models.JSONField(
        default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes; empty: any country."
    )
    allowed_workshops = models.ManyToManyField("marketplace.Workshop", blank=True, related_name="+")
    nda_text = models.TextField(blank=True)
    nda_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the NDA text.")
    confidential_since = models.DateTimeField(null=True, blank=True)

    objects = DesignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest(self) -> DesignRevision | None:
        revisions = list(self.revisions.all())  # prefetched in lists
        return max(revisions, key=lambda r: r.number) if revisions else None


class DesignRevision(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for analysis"
        ANALYSING = "analysing", "Being analysed"
        ANALYSED = "analysed", "Analysed"
        FAILED = "failed", "Could not be read"

    class Unit(models.TextChoices):
        MM = "mm", "millimetres"
        INCH = "inch", "inches"
        M = "m", "metres"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_design_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.MM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    analysis = models.JSONField(null=True, blank=True)
    thumbnail = models.FileField(upload_to=_design_derived_path, blank=True, max_length=255)
    preview = models.FileField(upload_to=_design_derived_path, blank=True, max_length=255)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # A part made from a template: which one and with what values, so it can be edited again.
    # Its `file` is the generated STEP and its `preview` the full STL.
    template = models.CharField(max_length=40, blank=True)
    parameters = models.JSONField(null=True, blank=True)
    # The customer's reason to order despite error findings, shown wherever the design is seen.
    findings_override_reason = models.TextField(blank=True)
    findings_overridden_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    findings_overridden_at = models.DateTimeField(null=True, blank=True)

    objects = DesignRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["design", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["design", "number"], name="design_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.design} v{self.number}"

    @property
    def is_analysed(self) -> bool:
        return self.status == self.Status.ANALYSED

    @property
    def bbox_mm(self) -> list[float] | None:
        return (self.analysis or {}).get("bbox_mm")

    @property
    def has_step(self) -> bool:
        """Uploaded as STEP or generated (stored as STEP): workshops can take the B-rep."""
        return self.format == "step"

    @property
    def error_findings(self) -> list[dict]:
        """The analysis's error-severity findings: each one stops a quote until fixed or
        overridden."""
        return [i for i in (self.analysis or {}).get("issues", []) if i.get("severity") == "error"]

    @property
    def findings_overridden(self) -> bool:
        return bool(self.findings_override_reason)

    @property
    def processes_refused(self) -> frozenset[str]:
        """Shaping processes this revision's analysis rules out (see `processes_refused`)."""
        return processes_refused(self.analysis)

    @property
    def is_quotable(self) -> bool:
        """Analysed, and either free of error findings or overridden by the customer."""
        return self.is_analysed and (not self.error_findings or self.findings_overridden)


class DesignReport(models.Model):
    """Someone's report that a design is prohibited or infringes intellectual property."""

    class Kind(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited item (weapons, regulated parts...)"
        IP = "ip", "Infringes a patent, design or trademark"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld: design blocked"
        DISMISSED = "dismissed", "Dismissed"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    details = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report on {self.design}"


class NdaAcceptance(models.Model):
    """A named member accepted a design's NDA text (by its hash) for a workshop organization."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="nda_acceptances")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    nda_hash = models.CharField(max_length=64)
    nda_text = models.TextField(help_text="The text as it was accepted.")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["design", "organization", "nda_hash"], name="nda_acceptance_once"
            )
        ]

    def __str__(self) -> str:
        return f"NDA of {self.design} accepted by {self.user} at {self.accepted_at:%Y-%m-%d}"


class DesignDownload(models.Model):
    """Who read which revision (downloaded a file, opened the page, the 3D view, a thumbnail
    or a job card's file), and for which organization: the owner reads it to see where its
    drawings went."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download", "Downloaded the file"
        VIEW = "view", "Opened the design page"
        PREVIEW = "preview", "Opened the 3D view"
        THUMBNAIL = "thumbnail", "Saw the picture"

    revision = models.ForeignKey(DesignRevision, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DOWNLOAD)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.revision} by {self.user} at {self.at:%Y-%m-%d %H:%M}"
