"""The part templates API: schemas, live previews with findings and prices, saving a part."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import Organization
from accounts.permissions import require_kind
from marketplace.designs import parts, selectors
from marketplace.designs.api import serializers as s


class ParameterSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["number", "integer"])
    unit = serializers.ChoiceField(choices=["mm", "count", "deg"])
    minimum = serializers.FloatField()
    maximum = serializers.FloatField()
    default = serializers.FloatField()
    help = serializers.CharField()


class TemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    parameters = ParameterSerializer(many=True)


class PartRequestSerializer(serializers.Serializer):
    parameters = serializers.DictField(
        child=serializers.JSONField(), required=False, default=dict, allow_empty=True
    )


class PartCreateSerializer(PartRequestSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    design = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Add a revision to this design."
    )


FINDING = inline_serializer(
    "PartFinding",
    {
        "process": serializers.CharField(),
        "code": serializers.CharField(),
        "severity": serializers.CharField(),
        "parameter": serializers.CharField(),
        "message": serializers.CharField(),
    },
)
PRICE = inline_serializer(
    "PartPrice",
    {
        "material": serializers.CharField(),
        "material_name": serializers.CharField(),
        "process": serializers.CharField(),
        "process_name": serializers.CharField(),
        "price_minor": serializers.IntegerField(),
        "currency": serializers.CharField(),
        "delivery_at": serializers.DateTimeField(),
    },
)
PREVIEW = inline_serializer(
    "PartPreview",
    {
        "template": serializers.DictField(),
        "volume_mm3": serializers.FloatField(),
        "area_mm2": serializers.FloatField(),
        "bbox_mm": serializers.ListField(child=serializers.FloatField()),
        "findings": FINDING.__class__(many=True),
        "issues": serializers.ListField(child=serializers.DictField()),
        "prices": PRICE.__class__(many=True),
        "stl_base64": serializers.CharField(help_text="Binary STL in mm, base64."),
        "analysis": serializers.DictField(help_text="The same JSON as analyze_design."),
    },
)


def _parameters(request) -> dict:
    serializer = PartRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["parameters"]


def _refused(error: parts.PartInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError({"parameters": error.errors})


class PartTemplateViewSet(viewsets.ViewSet):
    """Parametric parts: the templates and their parameters, previews, and saving a part."""

    lookup_field = "key"
    lookup_value_regex = "[a-z_]+"
    throttle_scope = "part_preview"

    def get_throttles(self):
        if self.action in ("preview", "prices", "designs"):
            return [*super().get_throttles(), ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(responses={200: TemplateSerializer(many=True)})
    def list(self, request):
        """Every template with its parameter schema (unit, bounds, default, help)."""
        return Response(parts.templates_described())

    @extend_schema(responses={200: TemplateSerializer})
    def retrieve(self, request, key=None):
        return Response(parts.template_or_404(key).schema())

    @extend_schema(
        request=PartRequestSerializer,
        responses={200: PREVIEW},
        parameters=[
            OpenApiParameter("prices", bool, description="Also price the part per process.")
        ],
    )
    @action(detail=True, methods=["post"])
    def preview(self, request, key=None):
        """Makes the part: its mesh (binary STL, base64), volume, findings; prices on demand.

        Missing parameters take their defaults; a bad one is a 400 naming it."""
        try:
            preview = parts.part_preview(
                template_key=key,
                parameters=_parameters(request),
                prices=request.query_params.get("prices") in ("1", "true"),
                user_id=request.user.pk,
            )
        except parts.PartInvalid as error:
            raise _refused(error) from error
        return Response(preview.to_dict())

    @extend_schema(
        request=PartRequestSerializer,
        responses={200: inline_serializer("PartPrices", {"prices": PRICE.__class__(many=True)})},
    )
    @action(detail=True, methods=["post"])
    def prices(self, request, key=None):
        """The cheapest quote option per shaping process for the part, as a quote would give."""
        try:
            preview = parts.part_preview(
                template_key=key,
                parameters=_parameters(request),
                prices=True,
                user_id=request.user.pk,
            )
        except parts.PartInvalid as error:
            raise _refused(error) from error
        return Response({"prices": preview.prices})

    @extend_schema(request=PartCreateSerializer, responses={201: s.DesignSerializer})
    @action(detail=True, methods=["post"])
    def designs(self, request, key=None):
        """Saves the part as a design (or a new revision of `design`): STEP, STL, analysis."""
        organization = require_kind(
            membership=request.membership, kinds=(Organization.Kind.CUSTOMER,)
        )
        serializer = PartCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        design = None
        if data["design"] is not None:
            design = selectors.design_get_for_member(design_id=data["design"], user=request.user)
        try:
            revision = parts.design_generate(
                user=request.user,
                organization=organization,
                template_key=key,
                parameters=data["parameters"],
                name=data["name"],
                design=design,
            )
        except parts.PartInvalid as error:
            raise _refused(error) from error
        design = selectors.design_get_for_member(design_id=revision.design_id, user=request.user)
        return Response(s.DesignSerializer(design).data, status=status.HTTP_201_CREATED)
