from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from django import forms

from accounts.models import Membership
from accounts.second_factor_limits import (
    second_factor_attempt,
    second_factor_succeeded,
)
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


class AddressForm(forms.Form):
    """An address for the book; the country is chosen from ISO 3166-1, the city located."""

    kind = forms.ChoiceField(choices=[("shipping", "Shipping"), ("billing", "Billing")])
    label = forms.CharField(max_length=80, required=False, label="Label (optional)")
    company_name = forms.CharField(max_length=200, required=False, label="Company (optional)")
    recipient = forms.CharField(max_length=200, required=False, label="Attention of (optional)")
    street = forms.CharField(max_length=255)
    postcode = forms.CharField(max_length=20)
    city = forms.CharField(max_length=100)
    country = forms.ChoiceField(choices=())

    def __init__(self, *args, **kwargs):
        from accounts.places import country_choices

        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose a country"), *country_choices()]


class BillingProfileForm(forms.Form):
    """The organization as invoiced; the service checks the VAT ID against the country."""

    legal_name = forms.CharField(max_length=200, label="Legal name")
    street = forms.CharField(max_length=255)
    postcode = forms.CharField(max_length=20)
    city = forms.CharField(max_length=100)
    country = forms.ChoiceField(choices=())
    vat_id = forms.CharField(
        max_length=40,
        required=False,
        label="VAT ID (optional)",
        help_text="An EU VAT ID of the country above, e.g. DE136695976.",
    )

    def __init__(self, *args, **kwargs):
        from accounts.places import country_choices

        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose a country"), *country_choices()]


class _CountedCodeMixin:
    """Second-factor code forms that count wrong codes (see `accounts.second_factor_limits`)."""

    user: object

    def clean_code(self) -> str:
        request = context.request
        refusal = second_factor_attempt(request, self.user.pk)
        if refusal:
            raise forms.ValidationError(refusal, code="too_many_second_factor_attempts")
        code = super().clean_code()  # a wrong code raises, and its attempt stays counted
        second_factor_succeeded(request, self.user.pk)
        return code


class CountedAuthenticateForm(_CountedCodeMixin, mfa_forms.AuthenticateForm):
    """The code asked for after the password at sign-in (MFA_FORMS["authenticate"])."""


class CountedReauthenticateForm(_CountedCodeMixin, mfa_forms.ReauthenticateForm):
    """The code asked for again before sensitive pages (MFA_FORMS["reauthenticate"])."""
