"""The designs API: upload, list, revisions, download."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Organization
from accounts.permissions import acting_organization, require_kind
from accounts.selectors import is_member_of
from config.api_parsing import BoundedJSONParser
from marketplace.designs import confidential, selectors, services
from marketplace.designs.api import serializers as s
from marketplace.designs.models import Design, DesignDownload
from marketplace.errors import DomainError, PermissionDenied


class DesignViewSet(
    viewsets.GenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
):
    """Designs of the caller's organization; uploading creates a design or a new revision."""

    serializer_class = s.DesignSerializer
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    def get_queryset(self) -> QuerySet[Design]:
        if getattr(self, "swagger_fake_view", False):
            return Design.objects.none()
        membership = self.request.membership
        queryset = Design.objects.visible_to(self.request.user).prefetch_related("revisions")
        if self.action == "list" and membership:
            queryset = queryset.filter(organization=membership.organization)
        return queryset.order_by("-created_at")

    def get_object(self) -> Design:
        return selectors.design_get_for_member(
            design_id=self.kwargs["pk"],
            user=self.request.user,
            acting_as=acting_organization(self.request),
        )

    def _upload(self, request, design: Design | None):
        organization = require_kind(
            membership=request.membership, kinds=(Organization.Kind.CUSTOMER,)
        )
        serializer = s.DesignUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revision = services.design_upload(
            user=request.user,
            organization=organization,
            upload=serializer.validated_data["file"],
            unit=serializer.validated_data["unit"],
            name=serializer.validated_data["name"],
            design=design,
        )
        design = selectors.design_get_for_member(design_id=revision.design_id, user=request.user)
        return Response(s.DesignSerializer(design).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": s.DesignUploadSerializer},
        responses={201: s.DesignSerializer},
    )
    def create(self, request):
        """Uploads a file as a new design; its analysis runs in the background."""
        return self._upload(request, None)

    @extend_schema(
        request={"multipart/form-data": s.DesignUploadSerializer},
        responses={201: s.DesignSerializer},
    )
    @action(detail=True, methods=["post"])
    def revisions(self, request, pk=None):
        """Uploads a new revision of the design."""
        return self._upload(request, self.get_object())

    @extend_schema(request=s.FindingsOverrideSerializer, responses={200: s.DesignSerializer})
    @action(detail=True, methods=["post"], url_path="findings-override")
    def findings_override(self, request, pk=None):
        """Accepts the latest revision's error findings with a reason, so it can be quoted."""
        design = self.get_object()
        serializer = s.FindingsOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        latest = design.latest
        if latest is None:
            raise DomainError("This design has no revision yet.", code="no_revision")
        services.revision_findings_override(
            user=request.user, revision=latest, reason=serializer.validated_data["reason"]
        )
        design = selectors.design_get_for_member(design_id=design.pk, user=request.user)
        return Response(s.DesignSerializer(design).data)

    def retrieve(self, request, pk=None):
        """One design; a read by another organization is logged for its owner."""
        design = selectors.design_get_for_reader(
            design_id=self.kwargs["pk"],
            user=request.user,
            acting_as=acting_organization(request),
        )
        latest = design.latest
        if latest is not None:
            confidential.design_access_record(
                revision=latest,
                user=request.user,
                kind=DesignDownload.Kind.VIEW,
                acting_as=acting_organization(request),
            )
        return Response(s.DesignSerializer(design).data)

    def _own(self) -> Design:
        design = self.get_object()
        if not is_member_of(user=self.request.user, organization_ids=[design.organization_id]):
            raise PermissionDenied("Only the design's owner sees and sets this.")
        return design

    @extend_schema(methods=["GET"], responses={200: s.ConfidentialitySerializer})
    @extend_schema(
        methods=["PUT"],
        request=s.ConfidentialitySerializer,
        responses={200: s.ConfidentialitySerializer},
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def confidentiality(self, request, pk=None):
        """The owner's rule of who may make the design, and the NDA workshops accept."""
        design = self._own()
        if request.method == "PUT":
            serializer = s.ConfidentialitySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            design = confidential.design_confidentiality_set(
                user=request.user,
                design=design,
                confidential=data["confidential"],
                certifications=data["certifications"],
                countries=data["countries"],
                workshops=data["workshops"],
                nda_text=data["nda_text"],
            )
        return Response(s.ConfidentialitySerializer.of(design))

    @extend_schema(request=s.NdaAcceptSerializer, responses={201: s.NdaAcceptanceSerializer})
    @action(detail=True, methods=["post"], url_path="nda-acceptance")
    def nda_acceptance(self, request, pk=None):
        """A member accepts the design's NDA for the workshop holding a job on it."""
        design = self.get_object()
        serializer = s.NdaAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance = confidential.nda_accept(
            user=request.user,
            design=design,
            nda_hash=serializer.validated_data["nda_hash"],
            acting_as=acting_organization(request),
        )
        return Response(s.NdaAcceptanceSerializer(acceptance).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.DesignAccessSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request, pk=None):
        """Every logged view and download of the design, newest first (owner only)."""
        page = self.paginate_queryset(confidential.design_access_log(design=self._own()))
        return self.get_paginated_response(s.DesignAccessSerializer(page, many=True).data)

    def perform_destroy(self, instance: Design) -> None:
        services.design_delete(user=self.request.user, design=instance)
