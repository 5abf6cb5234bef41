from django import forms

from accounts.models import Membership
from accounts.services import SELF_SERVICE_KINDS


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in SELF_SERVICE_KINDS],
        help_text="Customers order parts, workshops make them, logistics partners move them.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
