from rest_framework import serializers

from accounts.models import BillingProfile, Invitation, Membership, Organization, User
from accounts.services import SELF_SERVICE_KINDS


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind", "created_at"]
        read_only_fields = ["id", "slug", "created_at"]


class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=[k.value for k in SELF_SERVICE_KINDS])


class OrganizationUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class MembershipOfUserSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer()

    class Meta:
        model = Membership
        fields = ["id", "role", "organization"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipOfUserSerializer(many=True)
    active_organization = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "date_joined", "memberships", "active_organization"]

    def get_active_organization(self, user: User) -> int | None:
        membership = self.context["request"].membership
        return membership.organization.pk if membership else None


class MeUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150, allow_blank=True)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "created_at"]
        read_only_fields = ["id", "email", "full_name", "created_at"]


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "expires_at", "accepted_at"]
        read_only_fields = ["id", "created_at", "expires_at", "accepted_at"]


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)


class BillingProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingProfile
        fields = ["legal_name", "street", "postcode", "city", "country", "vat_id", "updated_at"]
        read_only_fields = fields


class BillingProfileWriteSerializer(serializers.Serializer):
    """Shape only; the service checks the country and the VAT ID against it."""

    legal_name = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=255)
    postcode = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. DE.")
    vat_id = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="e.g. DE136695976"
    )
