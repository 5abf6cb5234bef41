"""Quality records of an order's steps: the inspection, its measurements, its photos and
documents, what the order requires, and who downloaded what."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from accounts.models import User
from marketplace.orders.models import Job, Order
from marketplace.quality.files import served_name
from marketplace.quality.judging import Outcome


class DocumentKind(models.TextChoices):
    """Documents an order may require."""

    INSPECTION_REPORT = "inspection_report", "Inspection report"
    CERTIFICATE_OF_CONFORMITY = "certificate_of_conformity", "Certificate of conformity"
    MATERIAL_CERTIFICATE = "material_certificate", "Material certificate"


class QualityRecord(models.Model):
    """A workshop's inspection of its own step, waiting for someone downstream to review it."""

    class Outcome(models.TextChoices):
        PASS = Outcome.PASS.value, "Pass"
        REWORK = Outcome.REWORK.value, "Rework"
        REJECT = Outcome.REJECT.value, "Reject"

    class Review(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="quality_record")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="quality_records")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    review_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "job__sequence", "pk"]

    def __str__(self) -> str:
        return f"Inspection of {self.job}"


class QualityMeasurement(models.Model):
    record = models.ForeignKey(QualityRecord, on_delete=models.CASCADE, related_name="measurements")
    name = models.CharField(max_length=80)
    nominal_mm = models.DecimalField(max_digits=10, decimal_places=4)
    measured_mm = models.DecimalField(max_digits=10, decimal_places=4)
    tolerance_mm = models.DecimalField(
        max_digits=8, decimal_places=4, help_text="+/- mm; from the line's class when not given."
    )
    within_tolerance = models.BooleanField()

    class Meta:
        ordering = ["record", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "name"], name="quality_measurement_once"),
            models.CheckConstraint(
                condition=Q(tolerance_mm__gt=0), name="quality_tolerance_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.measured_text} mm"

    @property
    def nominal_text(self) -> str:
        return _mm(self.nominal_mm)

    @property
    def measured_text(self) -> str:
        return _mm(self.measured_mm)

    @property
    def tolerance_text(self) -> str:
        return _mm(self.tolerance_mm)


def _mm(value) -> str:
    """12.0300 -> "12.03": as many digits as were measured, never a trailing zero more."""
    return f"{value.normalize():f}"


def _quality_file_path(instance: QualityFile, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"quality/{instance.order_id}/{uuid.uuid4().hex}.{extension}"


class QualityFile(models.Model):
    """A photo, a file or a document of one step of an order; checked by its content."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        FILE = "file", "File"
        INSPECTION_REPORT = (
            DocumentKind.INSPECTION_REPORT.value,
            DocumentKind.INSPECTION_REPORT.label,
        )
        CERTIFICATE_OF_CONFORMITY = (
            DocumentKind.CERTIFICATE_OF_CONFORMITY.value,
            DocumentKind.CERTIFICATE_OF_CONFORMITY.label,
        )
        MATERIAL_CERTIFICATE = (
            DocumentKind.MATERIAL_CERTIFICATE.value,
            DocumentKind.MATERIAL_CERTIFICATE.label,
        )

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="quality_files")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="quality_files")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    file = models.FileField(upload_to=_quality_file_path, max_length=255)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size_bytes = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "job__sequence", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def served_name(self) -> str:
        """The download's name: the uploader's, with the extension of the real content."""
        return served_name(self.original_name, self.content_type)


class QualityRequirement(models.Model):
    """A document the customer asked for; tight tolerance classes add theirs without a row."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="quality_requirements")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="quality_requirement_once")
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.get_kind_display()}"


class QualityDownload(models.Model):
    """Every download of a quality file or of an order's quality archive, for the audit."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="quality_downloads")
    file = models.ForeignKey(
        QualityFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="downloads"
    )
    archive = models.BooleanField(default=False, help_text="The whole order's ZIP.")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} downloaded {'the archive' if self.archive else self.file}"
