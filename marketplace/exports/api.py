"""The export through the API: ask for one, poll its progress, download the ZIP."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import organization_get_for_member
from config.api_schema import ErrorSerializer
from marketplace.exports import services
from marketplace.exports.models import OrganizationExport


class ExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="Members only; empty until ready and after it expires."
    )

    class Meta:
        model = OrganizationExport
        fields = [
            "id",
            "organization",
            "status",
            "progress",
            "step",
            "size_bytes",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, export: OrganizationExport) -> str:
        if not export.is_downloadable:
            return ""
        return reverse("api-export-download", args=[export.pk])


class OrganizationExportsView(APIView):
    """The organization's exports (GET), or a new one (POST: 202, built in the background; while
    one is being built, that one is returned)."""

    serializer_class = ExportSerializer

    @extend_schema(responses={200: ExportSerializer(many=True)})
    def get(self, request, organization_id: int):
        organization = organization_get_for_member(
            organization_id=organization_id, user=request.user
        )
        exports = services.exports_of(user=request.user, organization=organization)[:20]
        return Response(ExportSerializer(exports, many=True).data)

    @extend_schema(request=None, responses={202: ExportSerializer})
    def post(self, request, organization_id: int):
        organization = organization_get_for_member(
            organization_id=organization_id, user=request.user
        )
        export = services.export_request(user=request.user, organization=organization)
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    serializer_class = ExportSerializer

    def get(self, request, export_id: int):
        export = services.export_get_for_member(user=request.user, export_id=export_id)
        return Response(ExportSerializer(export).data)


class ExportDownloadView(APIView):
    """The archive (application/zip); 409 while it is being built or once it has expired."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            404: OpenApiResponse(ErrorSerializer, description="No such export, or not yours."),
            409: OpenApiResponse(ErrorSerializer, description="Not ready yet, or expired."),
        }
    )
    def get(self, request, export_id: int):
        export = services.export_file_for_download(user=request.user, export_id=export_id)
        name = export.file.name.rsplit("/", 1)[-1]
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=name,
            content_type="application/zip",
        )
