"""Serializers of the designs API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from marketplace.designs.models import Design, DesignRevision


class DesignRevisionSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    is_quotable = serializers.BooleanField(
        read_only=True,
        help_text="Analysed and free of error findings, or overridden with a reason.",
    )

    class Meta:
        model = DesignRevision
        fields = [
            "id",
            "number",
            "original_name",
            "format",
            "size_bytes",
            "sha256",
            "unit",
            "status",
            "error_code",
            "error_message",
            "analysis",
            "uploaded_at",
            "analysed_at",
            "download_url",
            "is_quotable",
            "findings_override_reason",
            "findings_overridden_at",
        ]
        read_only_fields = ["findings_override_reason", "findings_overridden_at"]

    def get_download_url(self, revision: DesignRevision) -> str:
        return reverse("design_download", args=[revision.pk])


class DesignSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    latest = DesignRevisionSerializer(read_only=True)
    revisions = serializers.SerializerMethodField()

    class Meta:
        model = Design
        fields = ["id", "organization", "name", "created_at", "latest", "revisions"]

    def get_revisions(self, design: Design) -> list[int]:
        return sorted((r.pk for r in design.revisions.all()), reverse=True)


class DesignUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    unit = serializers.ChoiceField(choices=DesignRevision.Unit.choices, default="mm")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FindingsOverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Why the part can be made despite the error findings; blank withdraws it.",
    )
