"""The design upload form."""

from __future__ import annotations

from django import forms

from marketplace.designs.models import DesignRevision


class DesignUploadForm(forms.Form):
    unit = forms.ChoiceField(
        choices=DesignRevision.Unit.choices,
        initial=DesignRevision.Unit.MM,
        help_text="STL and OBJ carry no unit; 3MF files use their own.",
    )
