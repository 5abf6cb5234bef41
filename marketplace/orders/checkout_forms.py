"""The checkout form: billing address, VAT ID, purchase order number, terms, payment."""

from __future__ import annotations

from django import forms

from accounts.billing_profiles import BillingProfileInvalid, vat_id_for_country
from accounts.models import Address
from accounts.places import country_choices
from accounts.vat_ids import VatIdInvalid, vat_id_parse


class CheckoutForm(forms.Form):
    """A billing address from the book or a new one (saved to the book), and the rest."""

    billing_saved = forms.ModelChoiceField(
        Address.objects.none(),
        required=False,
        label="Billing address",
        empty_label="A new billing address (below)",
    )
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    street = forms.CharField(max_length=255, required=False)
    postcode = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = forms.ChoiceField(choices=(), required=False)
    vat_id = forms.CharField(
        max_length=40,
        required=False,
        label="VAT ID (optional)",
        help_text="With its country code, e.g. DE136695976. Checked for format and check digits.",
    )
    po_number = forms.CharField(max_length=60, required=False, label="Purchase order number")
    payment_method = forms.ChoiceField(choices=(), widget=forms.RadioSelect)
    terms = forms.BooleanField(
        required=False, label="I accept the terms of sale and order on behalf of my company."
    )

    def __init__(self, *args, organization, methods, placing: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.placing = placing
        self.fields["billing_saved"].queryset = Address.objects.filter(
            organization=organization, kind=Address.Kind.BILLING
        )
        self.fields["country"].choices = [("", "Choose a country"), *country_choices()]
        self.fields["payment_method"].choices = methods
        self.fields["payment_method"].initial = methods[0][0]

    def clean_vat_id(self) -> str:
        text = self.cleaned_data.get("vat_id", "")
        if not text.strip():
            return ""
        try:
            return vat_id_parse(text).number
        except VatIdInvalid as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        data = super().clean()
        if data.get("billing_saved") is None:
            for name in ("street", "postcode", "city", "country"):
                if not data.get(name):
                    self.add_error(name, "Needed for a new billing address.")
        self._check_vat_id_country(data)
        if self.placing and not data.get("terms"):
            self.add_error("terms", "Accept the terms of sale to place the order.")
        return data

    def _check_vat_id_country(self, data: dict) -> None:
        """The VAT ID must be one of the billing address's country, as on the billing
        profile: another country's ID would otherwise be taken for a reverse-charge sale."""
        saved = data.get("billing_saved")
        country = saved.country if saved is not None else data.get("country")
        if not data.get("vat_id") or not country:
            return
        try:
            data["vat_id"] = vat_id_for_country(data["vat_id"], country=country)
        except BillingProfileInvalid as error:
            self.add_error("vat_id", error.message)

    @property
    def new_address(self) -> dict[str, str]:
        data = self.cleaned_data
        return {name: data[name] for name in ("company_name", "street", "postcode", "city")} | {
            "country": data["country"]
        }
