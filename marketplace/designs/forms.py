"""The design upload form and the confidentiality rule form."""

from __future__ import annotations

from django import forms

from marketplace.designs.models import DesignRevision


class DesignUploadForm(forms.Form):
    unit = forms.ChoiceField(
        choices=DesignRevision.Unit.choices,
        initial=DesignRevision.Unit.MM,
        help_text="STL and OBJ carry no unit; 3MF files use their own.",
    )


class ConfidentialityForm(forms.Form):
    """The owner's rule; the service validates codes and ids and says what is wrong."""

    confidential = forms.BooleanField(required=False, label="This design is confidential")
    countries = forms.CharField(
        required=False,
        max_length=300,
        label="Allowed countries",
        help_text="ISO codes separated by commas (DE, FR); empty: any country.",
    )
    certifications = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Required certifications",
        help_text="A workshop must hold every one ticked.",
    )
    workshops = forms.MultipleChoiceField(
        required=False,
        label="Only these workshops",
        help_text="Empty: any workshop meeting the rest of the rule.",
    )
    nda_text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="NDA a workshop must accept before it sees the part",
        max_length=20_000,
    )

    def __init__(self, *args, certifications=(), workshops=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certifications"].choices = list(certifications)
        self.fields["workshops"].choices = list(workshops)

    @property
    def country_codes(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["countries"].split(",") if c.strip()]
