"""API for the signed-in user, their organizations, members and invitations."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts import billing_profiles, services
from accounts.api.serializers import (
    BillingProfileSerializer,
    BillingProfileWriteSerializer,
    InvitationAcceptSerializer,
    InvitationSerializer,
    MemberSerializer,
    MembershipOfUserSerializer,
    MeSerializer,
    MeUpdateSerializer,
    OrganizationCreateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    RoleSerializer,
)
from accounts.errors import NotFound
from accounts.models import Organization, User
from accounts.permissions import require_manager
from accounts.selectors import (
    is_operator,
    organization_get_for_member,
    organization_members,
    organization_pending_invitations,
)


class MeView(GenericAPIView):
    serializer_class = MeSerializer

    def get(self, request):
        # Through the model, not type(request.user): with session login that is the lazy
        # wrapper, which has no manager.
        user = User.objects.prefetch_related("memberships__organization").get(pk=request.user.pk)
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        request.user.full_name = serializer.validated_data["full_name"]
        request.user.save(update_fields=["full_name"])
        return self.get(request)


class OrganizationViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Organizations the user belongs to (operators see them all)."""

    serializer_class = OrganizationSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        if is_operator(user=self.request.user):
            return Organization.objects.all()
        return Organization.objects.for_member(self.request.user)

    def get_object(self) -> Organization:
        return organization_get_for_member(
            organization_id=self.kwargs["pk"], user=self.request.user
        )

    def retrieve(self, request, pk=None):
        return Response(OrganizationSerializer(self.get_object()).data)

    @extend_schema(request=OrganizationCreateSerializer, responses={201: OrganizationSerializer})
    def create(self, request):
        serializer = OrganizationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(user=request.user, **serializer.validated_data)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationUpdateSerializer, responses=OrganizationSerializer)
    def partial_update(self, request, pk=None):
        serializer = OrganizationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_update(
            user=request.user, organization=self.get_object(), **serializer.validated_data
        )
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(responses=MemberSerializer(many=True))
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        members = organization_members(organization=self.get_object())
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(request=RoleSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"members/(?P<member_id>\d+)")
    def member(self, request, pk=None, member_id=None):
        organization = self.get_object()
        membership = get_object_or_404(organization.memberships, pk=member_id)
        if request.method == "DELETE":
            services.membership_remove(user=request.user, membership=membership)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            user=request.user, membership=membership, role=serializer.validated_data["role"]
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(methods=["GET"], request=None, responses=InvitationSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=InvitationSerializer, responses={201: InvitationSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def invitations(self, request, pk=None):
        organization = self.get_object()
        if request.method == "GET":
            require_manager(user=request.user, organization=organization)
            invitations = organization_pending_invitations(organization=organization)
            page = self.paginate_queryset(invitations)
            return self.get_paginated_response(InvitationSerializer(page, many=True).data)
        serializer = InvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            user=request.user, organization=organization, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses=BillingProfileSerializer)
    @extend_schema(
        methods=["PUT"], request=BillingProfileWriteSerializer, responses=BillingProfileSerializer
    )
    @action(detail=True, methods=["get", "put"], url_path="billing-profile")
    def billing_profile(self, request, pk=None):
        """The organization as invoiced (owners and admins only)."""
        organization = self.get_object()
        if request.method == "GET":
            profile = billing_profiles.billing_profile_get_for_manager(
                user=request.user, organization=organization
            )
            if profile is None:
                raise NotFound("This organization has no billing profile yet.")
            return Response(BillingProfileSerializer(profile).data)
        serializer = BillingProfileWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            profile = billing_profiles.billing_profile_set(
                user=request.user, organization=organization, **serializer.validated_data
            )
        except billing_profiles.BillingProfileInvalid as error:
            raise ValidationError({error.field: [error.message]}) from error
        return Response(BillingProfileSerializer(profile).data)


class InvitationAcceptView(GenericAPIView):
    serializer_class = InvitationAcceptSerializer

    @extend_schema(responses={201: MembershipOfUserSerializer})
    def post(self, request):
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.invitation_accept(user=request.user, **serializer.validated_data)
        return Response(MembershipOfUserSerializer(membership).data, status=status.HTTP_201_CREATED)
