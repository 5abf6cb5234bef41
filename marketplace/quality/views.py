"""Web pages of quality records: the workshop's forms on the job card, the customer's on the
order page, downloads. Each calls one service and goes back to the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import acting_organization
from marketplace.errors import DomainError
from marketplace.orders.selectors import job_get_for_workshop_member
from marketplace.quality import selectors, services

MEASUREMENT_ROWS = 5  # rows of the job card's measurement form


def measurements_from_form(data) -> list[dict]:
    """The filled rows of the measurement form (name_0, nominal_0, measured_0, tolerance_0...)."""
    rows = []
    for i in range(MEASUREMENT_ROWS):
        values = {
            key: data.get(f"{key}_{i}", "").strip()
            for key in ("name", "nominal", "measured", "tolerance")
        }
        if not any(values.values()):
            continue
        rows.append(
            {
                "name": values["name"],
                "nominal_mm": values["nominal"],
                "measured_mm": values["measured"],
                "tolerance_mm": values["tolerance"] or None,
            }
        )
    return rows


def _job_page(job_id: int) -> HttpResponse:
    return redirect(reverse("job_detail", args=[job_id]) + "#quality")


@login_required
@require_POST
def quality_record(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_get_for_workshop_member(job_id=job_id, user=request.user)
    try:
        services.quality_record_save(
            user=request.user,
            job=job,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            measurements=measurements_from_form(request.POST),
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "Inspection recorded.")
    return _job_page(job.pk)


@login_required
@require_POST
def quality_file(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_get_for_workshop_member(job_id=job_id, user=request.user)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise services.QualityRefused("Choose a file to upload.", code="file_required")
        services.quality_file_add(
            user=request.user,
            job=job,
            kind=request.POST.get("kind", ""),
            upload=upload,
            acting_as=acting_organization(request),
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "File added.")
    return _job_page(job.pk)


@login_required
@require_POST
def quality_requirement(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_quality_get(
        order_id=order_id, user=request.user, acting_as=acting_organization(request)
    )
    try:
        services.quality_requirement_set(
            user=request.user,
            order=order,
            kind=request.POST.get("kind", ""),
            required=request.POST.get("required", "1") == "1",
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
    return redirect(reverse("order_detail", args=[order.pk]) + "#quality")


@login_required
@require_POST
def quality_review(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.quality_record_get(
        record_id=record_id, user=request.user, acting_as=acting_organization(request)
    )
    try:
        services.quality_record_review(
            user=request.user,
            record=record,
            accepted=request.POST.get("decision") == "accept",
            reason=request.POST.get("reason", ""),
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, "Inspection reviewed.")
    return redirect(reverse("order_detail", args=[record.order_id]) + "#quality")


@login_required
@require_GET
def quality_file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    item = selectors.quality_file_get(
        file_id=file_id, user=request.user, acting_as=acting_organization(request)
    )
    services.quality_file_download(user=request.user, item=item)
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.served_name,
        content_type=item.content_type,
    )


@login_required
@require_GET
def quality_archive(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_quality_get(
        order_id=order_id, user=request.user, acting_as=acting_organization(request)
    )
    try:
        archive = services.quality_archive(user=request.user, order=order)
    except DomainError as error:
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
        return redirect(reverse("order_detail", args=[order.pk]) + "#quality")
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"quality-{order.reference}.zip",
        content_type="application/zip",
    )
