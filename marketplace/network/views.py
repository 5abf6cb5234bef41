"""Browsing the network (customers and operators) and verifying workshops (operators)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization
from accounts.permissions import require_kind
from accounts.selectors import is_member_of, is_operator
from marketplace.errors import DomainError
from marketplace.network import basemap, page_cache, rating, selectors, services
from marketplace.network.forms import (
    CapacityExceptionForm,
    MachineForm,
    MachineStatusForm,
    NetworkFilterForm,
    VerificationForm,
    WeeklyHoursForm,
    WorkshopPhotoForm,
    WorkshopProfileForm,
)
from marketplace.network.models import CapacityException, Workshop, WorkshopPhoto


@login_required
def network(request: HttpRequest) -> HttpResponse:
    """The filters, then the listing for them: the same for every viewer, so cached whole."""
    form = NetworkFilterForm(request.GET or None)
    filters = form.filters() if request.GET else selectors.NetworkFilter()
    workshop_count, listing = page_cache.network_listing_html(filters=filters)
    return render(
        request,
        "marketplace/network.html",
        {"form": form, "workshop_count": workshop_count, "listing": mark_safe(listing)},
    )


@require_GET
@gzip_page
@cache_control(public=True, max_age=24 * 3600)
def network_basemap(request: HttpRequest, key: str) -> HttpResponse:
    """The country outlines of one map view, drawn once per process and cached by browsers.

    Public like a static file: it is Natural Earth's data, and only views the pages can
    name are drawn (``MapProjection.from_key``).
    """
    try:
        projection = basemap.MapProjection.from_key(key)
    except basemap.UnknownMap as error:
        raise Http404("No such map.") from error
    return HttpResponse(basemap.basemap_svg(projection), content_type="image/svg+xml")


@login_required
def workshop_detail(request: HttpRequest, workshop_id: int) -> HttpResponse:
    """A workshop's public page; unverified ones are seen by their members and operators only."""
    workshop = get_object_or_404(
        Workshop.objects.select_related("organization").prefetch_related(
            "certifications", "photos"
        ),
        pk=workshop_id,
    )
    own = is_member_of(user=request.user, organization_ids=[workshop.organization_id])
    operator = is_operator(user=request.user)
    if not (workshop.is_verified or own or operator):
        return render(request, "404.html", status=404)
    inspections = selectors.workshop_inspection_counts(workshop_id=workshop.pk)
    return render(
        request,
        "marketplace/workshop_detail.html",
        {
            "workshop": workshop,
            "machines": selectors.machines_of_workshop(workshop=workshop),
            "network_map": selectors.network_map_for(workshops=[workshop]),
            "rating_text": rating.rating_sentence(
                rating=workshop.rating, reviews=workshop.review_count, counts=inspections
            ),
            "quality_text": rating.quality_words(inspections),
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
            workshop = services.workshop_verify(
                user=request.user, workshop=workshop, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{workshop} is now {workshop.get_verification_status_display().lower()}."
            )
    return redirect("workshop_detail", workshop_id=workshop.pk)


def _own_workshop(request: HttpRequest):
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.WORKSHOP,))
    return organization, selectors.workshop_for_organization(organization=organization)


@login_required
def workshop_profile(request: HttpRequest) -> HttpResponse:
    organization, workshop = _own_workshop(request)
    form = WorkshopProfileForm.for_workshop(workshop, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = services.workshop_profile_save(
                user=request.user, organization=organization, profile=form.profile()
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your workshop profile is saved.")
            return redirect("workshop_profile")
    context = {
        "form": form,
        "workshop": workshop,
        "photo_form": WorkshopPhotoForm(),
        "offered": selectors.offered_to_matcher(workshop=workshop) if workshop else None,
    }
    return render(request, "marketplace/workshop_profile.html", context)


@login_required
@require_POST
def workshop_photo_add(request: HttpRequest) -> HttpResponse:
    _organization, workshop = _own_workshop(request)
    form = WorkshopPhotoForm(request.POST, request.FILES)
    if workshop is None:
        messages.error(request, "Save your workshop profile before adding photos.")
    elif not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        services.workshop_photo_add(user=request.user, workshop=workshop, **form.cleaned_data)
        messages.success(request, "Photo added.")
    return redirect("workshop_profile")


def workshop_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    """Workshop photos are public, like the profile they illustrate."""
    photo = get_object_or_404(WorkshopPhoto, pk=photo_id)
    return FileResponse(photo.image.open("rb"))


@login_required
def machine_edit(request: HttpRequest, machine_id: int | None = None) -> HttpResponse:
    _organization, workshop = _own_workshop(request)
    if workshop is None:
        messages.info(request, "Describe your workshop first; then add its machines.")
        return redirect("workshop_profile")
    machine = (
        selectors.machine_get_for_member(machine_id=machine_id, user=request.user)
        if machine_id
        else None
    )
    form = MachineForm.for_machine(machine, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            machine = services.machine_save(
                user=request.user, workshop=workshop, spec=form.spec(), machine=machine
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{machine.name} is saved.")
            if machine_id is None:
                messages.info(request, "Now give it opening hours so the matcher can use it.")
            return redirect("machine_capacity", machine_id=machine.pk)
    return render(request, "marketplace/machine_form.html", {"form": form, "machine": machine})


@login_required
@require_POST
def machine_delete(request: HttpRequest, machine_id: int) -> HttpResponse:
    machine = selectors.machine_get_for_member(machine_id=machine_id, user=request.user)
    try:
        services.machine_delete(user=request.user, machine=machine)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("machine_capacity", machine_id=machine.pk)
    messages.success(request, f"{machine.name} was removed.")
    return redirect("dashboard")


def _week_of(value: str | None, zone: ZoneInfo) -> date:
    """The day whose week to show: ``?week=YYYY-MM-DD``, else today in the workshop's zone."""
    today = timezone.now().astimezone(zone).date()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else today
    except ValueError:
        return today


@login_required
def machine_capacity(request: HttpRequest, machine_id: int) -> HttpResponse:
    """The week calendar of one machine, with the forms that change it, all in the workshop's
    local time: its hours are wall-clock times, and closures typed here are read as such."""
    machine = selectors.machine_get_for_member(machine_id=machine_id, user=request.user)
    zone = ZoneInfo(machine.workshop.timezone)
    with timezone.override(zone):
        return _machine_capacity_page(request, machine, _week_of(request.GET.get("week"), zone))


def _machine_capacity_page(request: HttpRequest, machine, week_of: date) -> HttpResponse:
    hours_form = WeeklyHoursForm(request.POST or None, machine=machine)
    if request.method == "POST" and hours_form.is_valid():
        try:
            services.weekly_hours_set(
                user=request.user,
                machine=machine,
                slots=hours_form.slots(),
                force=hours_form.cleaned_data.get("force", False),
            )
        except DomainError as error:
            hours_form.add_error(None, error.message)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect(f"{request.path}?week={week_of:%Y-%m-%d}")
    calendar = selectors.week_calendar(machine=machine, week_of=week_of)
    monday = calendar["days"][0]["date"]
    context = {
        "machine": machine,
        "calendar": calendar,
        "hours_form": hours_form,
        "exception_form": CapacityExceptionForm(),
        "status_form": MachineStatusForm(initial={"status": machine.status}),
        "exceptions": machine.exceptions.filter(ends_at__gte=timezone.now()),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "hours": range(0, 24, 2),
    }
    return render(request, "marketplace/machine_capacity.html", context)


@login_required
@require_POST
def capacity_exception_add(request: HttpRequest, machine_id: int) -> HttpResponse:
    machine = selectors.machine_get_for_member(machine_id=machine_id, user=request.user)
    with timezone.override(ZoneInfo(machine.workshop.timezone)):  # typed in local time
        form = CapacityExceptionForm(request.POST)
        valid = form.is_valid()
    if not valid:
        messages.error(request, "Give a start, an end and a kind for the closure.")
    else:
        try:
            services.capacity_exception_add(user=request.user, machine=machine, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Closure added.")
    return redirect("machine_capacity", machine_id=machine.pk)


@login_required
@require_POST
def capacity_exception_remove(request: HttpRequest, exception_id: int) -> HttpResponse:
    exception = get_object_or_404(
        CapacityException.objects.select_related("machine__workshop__organization"),
        pk=exception_id,
        machine__workshop__organization__memberships__user=request.user,
    )
    services.capacity_exception_remove(user=request.user, exception=exception)
    messages.success(request, "Closure removed.")
    return redirect("machine_capacity", machine_id=exception.machine_id)


@login_required
@require_POST
def machine_status(request: HttpRequest, machine_id: int) -> HttpResponse:
    machine = selectors.machine_get_for_member(machine_id=machine_id, user=request.user)
    with timezone.override(ZoneInfo(machine.workshop.timezone)):  # typed in local time
        form = MachineStatusForm(request.POST)
        valid = form.is_valid()
    if valid:
        try:
            machine = services.machine_status_set(
                user=request.user, machine=machine, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{machine.name} is now {machine.get_status_display().lower()}."
            )
    return redirect("machine_capacity", machine_id=machine.pk)
