"""Quality records through the API: an order's records, files and required documents; the
workshop's inspection and uploads; the review; downloads one by one or as a ZIP."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import acting_organization
from config.api_schema import ErrorSerializer
from marketplace.orders.selectors import job_get_for_workshop_member
from marketplace.quality import selectors, services
from marketplace.quality.models import (
    DocumentKind,
    QualityFile,
    QualityMeasurement,
    QualityRecord,
)


class MeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualityMeasurement
        fields = ["name", "nominal_mm", "measured_mm", "tolerance_mm", "within_tolerance"]
        read_only_fields = fields


class RecordSerializer(serializers.ModelSerializer):
    measurements = MeasurementSerializer(many=True, read_only=True)

    class Meta:
        model = QualityRecord
        fields = [
            "id",
            "job",
            "outcome",
            "note",
            "recorded_at",
            "review",
            "review_reason",
            "reviewed_at",
            "measurements",
        ]
        read_only_fields = fields


class FileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = QualityFile
        fields = [
            "id",
            "job",
            "kind",
            "original_name",
            "content_type",
            "size_bytes",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, item: QualityFile) -> str:
        return reverse("api-quality-file-download", args=[item.pk])


class RequiredDocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    label = serializers.CharField()
    because = serializers.CharField()
    satisfied = serializers.BooleanField()
    removable = serializers.BooleanField(
        help_text="Whether you may stop requiring it now: the customer's own choice, before "
        "production starts."
    )


class OrderQualitySerializer(serializers.Serializer):
    required_documents = RequiredDocumentSerializer(many=True)
    records = RecordSerializer(many=True)
    files = FileSerializer(many=True)
    archive_url = serializers.CharField()


def _size_field(name: str, **kwargs) -> serializers.DecimalField:
    """A size as its column holds it (the service checks the same, for the web form too)."""
    column = QualityMeasurement._meta.get_field(name)
    return serializers.DecimalField(
        max_digits=column.max_digits, decimal_places=column.decimal_places, **kwargs
    )


class MeasurementInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=QualityMeasurement._meta.get_field("name").max_length)
    nominal_mm = _size_field("nominal_mm")
    measured_mm = _size_field("measured_mm")
    tolerance_mm = _size_field(
        "tolerance_mm",
        required=False,
        allow_null=True,
        help_text="+/- mm; the order line's tolerance class when left out.",
    )


class RecordInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=QualityRecord.Outcome.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    measurements = MeasurementInputSerializer(many=True, max_length=services.MAX_DIMENSIONS)


class FileInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QualityFile.Kind.choices)
    file = serializers.FileField()


class RequirementInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    required = serializers.BooleanField(default=True)


class ReviewInputSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _order_quality(order, user) -> dict:
    files = selectors.files_of(order)
    documents = selectors.required_documents(order, viewer=user, files=files)
    return {
        "required_documents": [vars(r) for r in documents],
        "records": selectors.records_of(order),
        "files": files,
        "archive_url": reverse("api-order-quality-archive", args=[order.pk]),
    }


class OrderQualityView(APIView):
    """The order's required documents, inspection records and files: its parties and
    operators."""

    serializer_class = OrderQualitySerializer

    def get(self, request, order_id: int):
        order = selectors.order_quality_get(
            order_id=order_id, user=request.user, acting_as=acting_organization(request)
        )
        return Response(OrderQualitySerializer(_order_quality(order, request.user)).data)


class OrderQualityRequirementView(APIView):
    """The customer requires a document (or no longer does), before production starts."""

    @extend_schema(request=RequirementInputSerializer, responses={200: OrderQualitySerializer})
    def post(self, request, order_id: int):
        order = selectors.order_quality_get(
            order_id=order_id, user=request.user, acting_as=acting_organization(request)
        )
        data = RequirementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.quality_requirement_set(user=request.user, order=order, **data.validated_data)
        return Response(OrderQualitySerializer(_order_quality(order, request.user)).data)


class OrderQualityArchiveView(APIView):
    """Every quality file of the order and a CSV of the measurements as one ZIP (logged)."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            404: OpenApiResponse(ErrorSerializer, description="No such order, or not yours."),
            409: OpenApiResponse(ErrorSerializer, description="No quality records yet."),
        }
    )
    def get(self, request, order_id: int):
        order = selectors.order_quality_get(
            order_id=order_id, user=request.user, acting_as=acting_organization(request)
        )
        archive = services.quality_archive(user=request.user, order=order)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"quality-{order.reference}.zip",
            content_type="application/zip",
        )


class JobQualityRecordView(APIView):
    """The workshop records its step's inspection (again, until it is reviewed)."""

    @extend_schema(request=RecordInputSerializer, responses={201: RecordSerializer})
    def post(self, request, job_id: int):
        job = job_get_for_workshop_member(job_id=job_id, user=request.user)
        data = RecordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.quality_record_save(user=request.user, job=job, **data.validated_data)
        return Response(RecordSerializer(record).data, status=status.HTTP_201_CREATED)


class JobQualityFileView(APIView):
    """The workshop adds a photo, file or document to its step (multipart)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=FileInputSerializer, responses={201: FileSerializer})
    def post(self, request, job_id: int):
        job = job_get_for_workshop_member(job_id=job_id, user=request.user)
        data = FileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.quality_file_add(
            user=request.user,
            job=job,
            kind=data.validated_data["kind"],
            upload=data.validated_data["file"],
            acting_as=acting_organization(request),
        )
        return Response(FileSerializer(item).data, status=status.HTTP_201_CREATED)


class QualityRecordReviewView(APIView):
    """Accept or reject an inspection record: the next step's workshop, the customer once
    delivered, or an operator. A reason is required to reject."""

    @extend_schema(request=ReviewInputSerializer, responses={200: RecordSerializer})
    def post(self, request, record_id: int):
        record = selectors.quality_record_get(
            record_id=record_id, user=request.user, acting_as=acting_organization(request)
        )
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.quality_record_review(
            user=request.user, record=record, **data.validated_data
        )
        return Response(RecordSerializer(record).data)


class QualityFileDownloadView(APIView):
    """One quality file, as uploaded (logged)."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            404: OpenApiResponse(ErrorSerializer, description="No such file, or not yours."),
        }
    )
    def get(self, request, file_id: int):
        item = selectors.quality_file_get(
            file_id=file_id, user=request.user, acting_as=acting_organization(request)
        )
        services.quality_file_download(user=request.user, item=item)
        return FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.served_name,
            content_type=item.content_type,
        )
