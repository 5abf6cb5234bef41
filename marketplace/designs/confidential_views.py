"""Pages of confidential designs: the owner's rule and NDA, a workshop's acceptance, and the
owner's log of who read the design."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import acting_organization
from accounts.places import country_name
from accounts.selectors import is_member_of
from marketplace.designs import confidential, selectors
from marketplace.designs.forms import ConfidentialityForm
from marketplace.designs.models import Design
from marketplace.errors import DomainError, PermissionDenied
from marketplace.network.models import Certification, Workshop

ACCESS_LOG_PAGE_SIZE = 25


def _own_design(request: HttpRequest, design_id: int) -> Design:
    design = selectors.design_get_for_member(design_id=design_id, user=request.user)
    if not is_member_of(user=request.user, organization_ids=[design.organization_id]):
        raise PermissionDenied("Only the design's owner sees and sets this.")
    return design


def _form(design: Design, data=None) -> ConfidentialityForm:
    workshops = (
        Workshop.objects.verified().select_related("organization").order_by("organization__name")
    )
    return ConfidentialityForm(
        data,
        certifications=Certification.objects.values_list("code", "name"),
        workshops=[(str(w.pk), f"{w.organization} ({w.city}, {w.country})") for w in workshops],
        initial={
            "confidential": design.confidential,
            "countries": ", ".join(design.allowed_countries or []),
            "certifications": [c.code for c in design.required_certifications.all()],
            "workshops": [str(w.pk) for w in design.allowed_workshops.all()],
            "nda_text": design.nda_text,
        },
    )


@login_required
def design_confidentiality(request: HttpRequest, design_id: int) -> HttpResponse:
    """The owner marks the design confidential and says who may make it."""
    design = _own_design(request, design_id)
    form = _form(design, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            confidential.design_confidentiality_set(
                user=request.user,
                design=design,
                confidential=form.cleaned_data["confidential"],
                certifications=form.cleaned_data["certifications"],
                countries=form.country_codes,
                workshops=[int(w) for w in form.cleaned_data["workshops"]],
                nda_text=form.cleaned_data["nda_text"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Saved. Quotes from now on follow this rule.")
            return redirect("design_detail", design_id=design.pk)
    return render(
        request,
        "marketplace/designs/confidentiality.html",
        {
            "design": design,
            "form": form,
            "countries": [(c, country_name(c)) for c in design.allowed_countries or []],
            "acceptances": confidential.nda_acceptances(design=design)[:50],
        },
    )


@login_required
@require_POST
def design_nda_accept(request: HttpRequest, design_id: int) -> HttpResponse:
    """A member of a workshop holding a job accepts the NDA text they were shown."""
    design = selectors.design_get_for_member(design_id=design_id, user=request.user)
    if request.POST.get("agree") != "yes":
        messages.error(request, "Tick the box to say you accept the NDA.")
        return redirect("design_detail", design_id=design.pk)
    try:
        confidential.nda_accept(
            user=request.user,
            design=design,
            nda_hash=request.POST.get("nda_hash", ""),
            acting_as=acting_organization(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "NDA accepted for your workshop; the part is open to you.")
    return redirect("design_detail", design_id=design.pk)


@login_required
def design_access_log(request: HttpRequest, design_id: int) -> HttpResponse:
    """Every logged read of the design, newest first, for its owner."""
    design = _own_design(request, design_id)
    page = Paginator(confidential.design_access_log(design=design), ACCESS_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "marketplace/designs/access_log.html", {"design": design, "page": page})
