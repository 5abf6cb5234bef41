"""Browsing the network (customers and operators) and verifying workshops (operators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import is_operator
from marketplace import selectors, services
from marketplace.errors import DomainError
from marketplace.forms import NetworkFilterForm, VerificationForm
from marketplace.models import Material, Process, Workshop


@login_required
def network(request: HttpRequest) -> HttpResponse:
    form = NetworkFilterForm(request.GET or None)
    filters = form.filters() if request.GET else selectors.NetworkFilter()
    workshops = list(selectors.workshops_for_network(filters=filters))
    return render(
        request,
        "marketplace/network.html",
        {
            "form": form,
            "workshops": workshops,
            "network_map": selectors.network_map_for(workshops=workshops),
            "processes": Process.objects.prefetch_related("materials"),
            "materials": Material.objects.prefetch_related("processes"),
        },
    )


@login_required
def workshop_detail(request: HttpRequest, workshop_id: int) -> HttpResponse:
    """A workshop's public page; unverified ones are seen by their members and operators only."""
    workshop = get_object_or_404(
        Workshop.objects.select_related("organization").prefetch_related(
            "certifications", "photos"
        ),
        pk=workshop_id,
    )
    own = workshop.organization.memberships.filter(user=request.user).exists()
    operator = is_operator(user=request.user)
    if not (workshop.is_verified or own or operator):
        return render(request, "404.html", status=404)
    return render(
        request,
        "marketplace/workshop_detail.html",
        {
            "workshop": workshop,
            "machines": selectors.machines_of_workshop(workshop=workshop),
            "network_map": selectors.network_map_for(workshops=[workshop]),
            "verification_form": VerificationForm(initial={"status": workshop.verification_status})
            if operator
            else None,
        },
    )


@login_required
@require_POST
def workshop_verify(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = get_object_or_404(Workshop, pk=workshop_id)
    form = VerificationForm(request.POST)
    if form.is_valid():
        try:
            services.workshop_verify(user=request.user, workshop=workshop, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{workshop} is now {workshop.get_verification_status_display().lower()}."
            )
    return redirect("workshop_detail", workshop_id=workshop.pk)
