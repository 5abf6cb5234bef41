"""The network API: catalog, workshops, machines, weekly hours, capacity and closures."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import Organization
from accounts.permissions import require_kind
from accounts.selectors import is_member_of, is_operator, organization_ids_of
from marketplace.errors import NotFound
from marketplace.network import selectors, services
from marketplace.network.api import serializers as s
from marketplace.network.forms import NetworkFilterForm
from marketplace.network.models import (
    CapacityException,
    Certification,
    Finish,
    Machine,
    Material,
    Process,
    Workshop,
)


class IsOperatorOrReadOnly(BasePermission):
    """Everyone signed in reads the catalog; operators maintain it."""

    message = "Only platform operators may change the catalog."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_operator(user=request.user)


class CatalogViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated, IsOperatorOrReadOnly]
    lookup_field = "code"
    search_fields = ["name", "code"]


class ProcessViewSet(CatalogViewSet):
    queryset = Process.objects.all()
    serializer_class = s.ProcessSerializer
    filterset_fields = ["family"]


class MaterialViewSet(CatalogViewSet):
    queryset = Material.objects.prefetch_related("processes")
    serializer_class = s.MaterialSerializer
    filterset_fields = {"family": ["exact"], "processes__code": ["exact"], "porous": ["exact"]}


class FinishViewSet(CatalogViewSet):
    queryset = Finish.objects.select_related("process").prefetch_related("materials")
    serializer_class = s.FinishSerializer


class CertificationViewSet(CatalogViewSet):
    queryset = Certification.objects.all()
    serializer_class = s.CertificationSerializer


def _active_workshop(request) -> Workshop:
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.WORKSHOP,))
    workshop = selectors.workshop_for_organization(organization=organization)
    if workshop is None:
        raise NotFound("Create your workshop profile first (POST /api/v1/workshops/).")
    return workshop


@extend_schema(
    parameters=[
        OpenApiParameter(name, str, description=text)
        for name, text in [
            ("process", "process code"),
            ("material", "material code"),
            ("country", "ISO country code"),
            ("certification", "certification code"),
            ("x", "minimum envelope X in mm"),
            ("y", "minimum envelope Y in mm"),
            ("z", "minimum envelope Z in mm"),
        ]
    ]
)
class WorkshopViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Verified workshops for everyone; a workshop also sees and edits its own profile."""

    serializer_class = s.WorkshopSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Workshop]:
        if getattr(self, "swagger_fake_view", False):
            return Workshop.objects.none()
        if self.action == "list":
            form = NetworkFilterForm(self.request.query_params)
            return selectors.workshops_for_network(filters=form.filters())
        queryset = Workshop.objects.select_related("organization").prefetch_related(
            "certifications"
        )
        if is_operator(user=self.request.user):
            return queryset
        # One condition, not an OR of two joined querysets: a join over memberships repeats the
        # workshop once per member and made the detail view fail with several members.
        return queryset.filter(
            Q(pk__in=Workshop.objects.verified().values("pk"))
            | Q(organization_id__in=organization_ids_of(user=self.request.user))
        )

    def _save(self, request, partial: bool):
        organization = require_kind(
            membership=request.membership, kinds=(Organization.Kind.WORKSHOP,)
        )
        current = selectors.workshop_for_organization(organization=organization)
        # A PATCH before any profile exists has nothing to complete: it must carry every
        # required field, as a POST does (it raised KeyError: a 500).
        partial = partial and current is not None
        serializer = s.WorkshopSerializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {
            **(s.WorkshopSerializer(current).data if current else {}),
            **serializer.validated_data,
        }
        profile = services.WorkshopProfile(
            description=data.get("description", ""),
            address=data.get("address", ""),
            city=data["city"],
            country=data["country"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            min_lead_time_hours=data.get("min_lead_time_hours", 24),
            urgent_lead_time_hours=data.get("urgent_lead_time_hours"),
            certifications=serializer.validated_data.get(
                "certifications", list(current.certifications.all()) if current else []
            ),
        )
        workshop = services.workshop_profile_save(
            user=request.user, organization=organization, profile=profile
        )
        return workshop, current is None

    @extend_schema(
        request=s.WorkshopSerializer,
        responses={201: s.WorkshopSerializer, 200: s.WorkshopSerializer},
    )
    def create(self, request):
        """Creates or replaces the profile of the workshop named by X-Organization."""
        workshop, created = self._save(request, partial=False)
        return Response(
            s.WorkshopSerializer(workshop).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=s.WorkshopSerializer, responses=s.WorkshopSerializer)
    @action(detail=False, methods=["get", "patch"])
    def mine(self, request):
        """The profile of the workshop the caller acts for."""
        if request.method == "GET":
            return Response(s.WorkshopSerializer(_active_workshop(request)).data)
        workshop, _ = self._save(request, partial=True)
        return Response(s.WorkshopSerializer(workshop).data)

    @extend_schema(request=s.VerificationSerializer, responses=s.WorkshopSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Operators verify, reject or suspend a workshop."""
        serializer = s.VerificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workshop = services.workshop_verify(
            user=request.user,
            workshop=get_object_or_404(Workshop, pk=pk),
            **serializer.validated_data,
        )
        return Response(s.WorkshopSerializer(workshop).data)


class MachineViewSet(viewsets.ModelViewSet):
    """Machines of verified workshops; a workshop edits only its own."""

    serializer_class = s.MachineSerializer
    filterset_fields = {
        "workshop": ["exact"],
        "process__code": ["exact"],
        "status": ["exact"],
        "materials__code": ["exact"],
    }
    ordering_fields = ["name", "hourly_rate_minor"]

    def get_queryset(self) -> QuerySet[Machine]:
        return (
            selectors.machines_visible_to(user=self.request.user)
            .prefetch_related("weekly_hours")
            .order_by("workshop_id", "name")
        )

    def _own(self) -> Machine:
        return selectors.machine_get_for_member(
            machine_id=self.kwargs["pk"], user=self.request.user
        )

    def _spec(self, serializer, machine: Machine | None) -> services.MachineSpec:
        data = {
            **(
                {f.name: getattr(machine, f.name) for f in Machine._meta.concrete_fields}
                if machine
                else {}
            ),
            **serializer.validated_data,
        }
        process = data["process"]
        if isinstance(process, str):
            process = Process.objects.get(code=process)
        materials = serializer.validated_data.get(
            "materials", list(machine.materials.all()) if machine else []
        )
        return services.MachineSpec(
            name=data["name"],
            process=process,
            materials=materials,
            envelope_mm=(data["envelope_x_mm"], data["envelope_y_mm"], data["envelope_z_mm"]),
            tolerance_mm=data["tolerance_mm"],
            hourly_rate_minor=data["hourly_rate_minor"],
            setup_cost_minor=data.get("setup_cost_minor", 0),
            setup_minutes=data.get("setup_minutes", 0),
            throughput=data["throughput"],
            currency=data.get("currency", "EUR"),
        )

    def create(self, request):
        workshop = _active_workshop(request)
        serializer = s.MachineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        machine = services.machine_save(
            user=request.user, workshop=workshop, spec=self._spec(serializer, None)
        )
        return Response(s.MachineSerializer(machine).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        machine = self._own()
        serializer = s.MachineSerializer(machine, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        machine = services.machine_save(
            user=request.user,
            workshop=machine.workshop,
            spec=self._spec(serializer, machine),
            machine=machine,
        )
        return Response(s.MachineSerializer(machine).data)

    def destroy(self, request, pk=None):
        services.machine_delete(user=request.user, machine=self._own())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.MachineStatusSerializer, responses=s.MachineSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """A MES or a person reports the machine up, down, or in maintenance until a time."""
        serializer = s.MachineStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        machine = services.machine_status_set(
            user=request.user, machine=self._own(), **serializer.validated_data
        )
        return Response(s.MachineSerializer(machine).data)

    @extend_schema(responses=s.MachineStatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-history")
    def status_history(self, request, pk=None):
        page = self.paginate_queryset(self._own().status_changes.all())
        return self.get_paginated_response(s.MachineStatusChangeSerializer(page, many=True).data)

    @extend_schema(
        request=s.WeeklyHoursSerializer, responses=s.WeeklyAvailabilitySerializer(many=True)
    )
    @action(detail=True, methods=["put"], url_path="weekly-hours", pagination_class=None)
    def weekly_hours(self, request, pk=None):
        """Replaces the weekly opening hours."""
        serializer = s.WeeklyHoursSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slots = [
            (slot["weekday"], slot["start_time"], slot["end_time"])
            for slot in serializer.validated_data["slots"]
        ]
        rows = services.weekly_hours_set(
            user=request.user,
            machine=self._own(),
            slots=slots,
            force=serializer.validated_data["force"],
        )
        return Response(s.WeeklyAvailabilitySerializer(rows, many=True).data)


class CapacityView(GenericAPIView):
    """Free time of a machine: opening hours minus closures and bookings (default: 4 weeks)."""

    serializer_class = s.CapacitySerializer

    @extend_schema(parameters=[s.CapacityQuerySerializer], responses=s.CapacitySerializer)
    def get(self, request):
        query = s.CapacityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        machine = get_object_or_404(
            selectors.machines_visible_to(user=request.user), pk=query.validated_data["machine"]
        )
        start = query.validated_data.get("start") or timezone.now()
        end = query.validated_data.get("end") or start + timedelta(weeks=4)
        if end - start > timedelta(days=366):
            end = start + timedelta(days=366)
        capacity = selectors.machine_capacity(machine=machine, start=start, end=end)
        own = is_member_of(user=request.user, organization_ids=[machine.workshop.organization_id])
        body = {
            "machine": machine.pk,
            "start": start,
            "end": end,
            "open_hours": capacity["open_hours"],
            "booked_hours": capacity["booked_hours"],
            "free_hours": capacity["free_hours"],
            "free": [{"starts_at": lo, "ends_at": hi} for lo, hi in capacity["free"]],
            # Other workshops' closures and bookings are their business; customers see free time.
            "closures": capacity["closures"] if own else [],
            "bookings": capacity["bookings"] if own else [],
        }
        return Response(s.CapacitySerializer(body).data)


class CapacityExceptionViewSet(
    viewsets.GenericViewSet,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    """Closures (holidays, maintenance) of the caller's machines."""

    serializer_class = s.CapacityExceptionSerializer
    filterset_fields = ["machine"]

    def get_queryset(self) -> QuerySet[CapacityException]:
        if getattr(self, "swagger_fake_view", False):
            return CapacityException.objects.none()
        return CapacityException.objects.filter(
            machine__workshop__organization__memberships__user=self.request.user
        ).select_related("machine")

    def perform_create(self, serializer):
        data = serializer.validated_data
        machine = selectors.machine_get_for_member(
            machine_id=data["machine"].pk, user=self.request.user
        )
        serializer.instance = services.capacity_exception_add(
            user=self.request.user,
            machine=machine,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            kind=data.get("kind", CapacityException.Kind.HOLIDAY),
            note=data.get("note", ""),
            force=data.get("force", False),
        )

    def perform_destroy(self, instance):
        services.capacity_exception_remove(user=self.request.user, exception=instance)
