"""Serializers of the designs API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from marketplace.designs.models import Design, DesignDownload, DesignRevision, NdaAcceptance


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
        fields = [
            "id",
            "organization",
            "name",
            "created_at",
            "latest",
            "revisions",
            "confidential",
            "nda_hash",
        ]
        read_only_fields = ["confidential", "nda_hash"]

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


MAX_ID = 10**18 - 1  # config.ids reads at most 18 digits; more overflow the database


class ConfidentialitySerializer(serializers.Serializer):
    """Who may make a design; every part that is set must hold, an empty one restricts nothing."""

    confidential = serializers.BooleanField()
    certifications = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=50,
        help_text="Certification codes a workshop must all hold.",
    )
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        default=list,
        max_length=250,
        help_text="ISO 3166-1 alpha-2 codes; empty: any country.",
    )
    workshops = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=200,
        help_text="Ids of the only workshops that may make it; empty: any meeting the rest.",
    )
    nda_text = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, default="", trim_whitespace=True
    )
    nda_hash = serializers.CharField(read_only=True, help_text="SHA-256 of the NDA text.")

    @staticmethod
    def of(design: Design) -> dict:
        return {
            "confidential": design.confidential,
            "certifications": sorted(c.code for c in design.required_certifications.all()),
            "countries": list(design.allowed_countries or []),
            "workshops": sorted(w.pk for w in design.allowed_workshops.all()),
            "nda_text": design.nda_text,
            "nda_hash": design.nda_hash,
        }


class NdaAcceptSerializer(serializers.Serializer):
    nda_hash = serializers.CharField(
        max_length=64, help_text="The hash of the NDA text the member read (from the design)."
    )


class NdaAcceptanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = NdaAcceptance
        fields = ["id", "design", "organization", "user", "nda_hash", "accepted_at"]
        read_only_fields = fields


class DesignAccessSerializer(serializers.ModelSerializer):
    user = serializers.EmailField(source="user.email", read_only=True, allow_null=True)
    revision = serializers.IntegerField(source="revision.number", read_only=True)

    class Meta:
        model = DesignDownload
        fields = ["id", "at", "kind", "revision", "user", "organization"]
        read_only_fields = fields
