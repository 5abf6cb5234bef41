"""Design pages: upload (many files, drag and drop), the analysis, the 3D preview, downloads,
and the part designer."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.permissions import acting_organization, require_kind
from accounts.selectors import is_member_of
from config.ids import parse_id
from marketplace.designs import confidential, instant_prices, parts, selectors, services
from marketplace.designs.forms import DesignUploadForm
from marketplace.designs.models import DesignDownload, DesignReport, DesignRevision
from marketplace.designs.watermark import watermark_png
from marketplace.errors import DomainError, NotFound


@login_required
def design_list(request: HttpRequest) -> HttpResponse:
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.CUSTOMER,))
    return render(
        request,
        "marketplace/design_list.html",
        {
            "designs": selectors.designs_of_organization(organization=organization),
            "form": DesignUploadForm(),
            "units": DesignRevision.Unit.choices,
        },
    )


@login_required
@require_POST
def design_upload(request: HttpRequest) -> HttpResponse:
    """Takes one or more files; answers JSON to the page's uploader, redirects plain forms."""
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.CUSTOMER,))
    form = DesignUploadForm(request.POST, request.FILES)
    design = None
    if request.POST.get("design"):
        design = selectors.design_get_for_member(
            design_id=parse_id(request.POST["design"]), user=request.user
        )
    results, errors = [], []
    if form.is_valid():
        for upload in request.FILES.getlist("files"):
            try:
                revision = services.design_upload(
                    user=request.user,
                    organization=organization,
                    upload=upload,
                    unit=form.cleaned_data["unit"],
                    design=design,
                )
            except DomainError as error:
                errors.append({"file": upload.name, "message": error.message})
            else:
                results.append(
                    {
                        "file": upload.name,
                        "design": revision.design_id,
                        "revision": revision.pk,
                        "url": reverse("design_detail", args=[revision.design_id]),
                        "status_url": reverse("design_status", args=[revision.pk]),
                    }
                )
    else:
        errors.append(
            {"file": "", "message": " ".join(m for ms in form.errors.values() for m in ms)}
        )
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {"uploaded": results, "errors": errors}, status=400 if errors and not results else 200
        )
    for error in errors:
        messages.error(
            request, f"{error['file']}: {error['message']}" if error["file"] else error["message"]
        )
    if len(results) == 1:
        return redirect("design_detail", design_id=results[0]["design"])
    if results:
        messages.success(request, f"{len(results)} designs uploaded; their analysis is under way.")
    return redirect("design_list")


@login_required
def design_detail(request: HttpRequest, design_id: int) -> HttpResponse:
    acting_as = acting_organization(request)
    design = selectors.design_get_for_reader(
        design_id=design_id, user=request.user, acting_as=acting_as
    )
    revision = design.latest
    own = is_member_of(user=request.user, organization_ids=[design.organization_id])
    if revision is None:
        # A workshop holding a job on a confidential design reads its NDA before the part.
        organization = confidential.nda_pending_organization(
            design=design, user=request.user, acting_as=acting_as
        )
        if organization is None:
            raise NotFound("No such design.")
        return render(
            request,
            "marketplace/designs/nda.html",
            {"design": design, "organization": organization},
        )
    watermark = None
    if not own:
        confidential.design_access_record(
            revision=revision,
            user=request.user,
            kind=DesignDownload.Kind.VIEW,
            acting_as=acting_organization(request),
        )
        watermark = confidential.reader_watermark(
            revision=revision, user=request.user, acting_as=acting_organization(request)
        )
    return render(
        request,
        "marketplace/design_detail.html",
        {
            "design": design,
            "revision": revision,
            "revisions": sorted(design.revisions.all(), key=lambda r: -r.number),
            "analysis": revision.analysis if revision else None,
            "form": DesignUploadForm(),
            "units": DesignRevision.Unit.choices,
            "report_kinds": DesignReport.Kind.choices,
            "own": own,
            "downloads": selectors.design_downloads(design=design, limit=10) if own else [],
            "watermark": watermark,
            "access_days": settings.DESIGN_ACCESS_DAYS_AFTER_JOB,
        },
    )


@login_required
def design_status(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The revision's state as JSON, for pages that were not connected when it changed."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    return JsonResponse(
        {
            "status": revision.status,
            "status_text": revision.get_status_display(),
            "error": revision.error_message,
            "analysed": revision.is_analysed,
        }
    )


@login_required
def design_prices(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The revision's instant prices as JSON, for its design page to load after itself.
    Prices are for the design's own organization, who may quote it: anyone else gets 404."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    if not is_member_of(user=request.user, organization_ids=[revision.design.organization_id]):
        raise NotFound("No such design file.")
    return JsonResponse(instant_prices.revision_price_table(revision=revision).to_dict())


@login_required
def design_download(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The original file, logged for the design's owner before it is served."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    services.design_download_record(
        revision=revision, user=request.user, acting_as=acting_organization(request)
    )
    return FileResponse(
        revision.file.open("rb"), as_attachment=True, filename=revision.original_name or "design"
    )


@login_required
def design_step_download(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The B-rep as STEP (uploaded as STEP, or generated from a template), logged like any
    download; a revision that only has a mesh has no STEP to give."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    if not revision.has_step:
        raise NotFound("This design was uploaded as a mesh: there is no STEP file of it.")
    services.design_download_record(
        revision=revision, user=request.user, acting_as=acting_organization(request)
    )
    name = Path(revision.original_name or "design").stem or "design"
    return FileResponse(
        revision.file.open("rb"),
        as_attachment=True,
        filename=f"{revision.design.name or name}-v{revision.number}.step",
        content_type="application/step",
    )


@login_required
def part_designer(request: HttpRequest) -> HttpResponse:
    """Design a part from a template with a live preview; `?revision=` edits a saved part."""
    require_kind(membership=request.membership, kinds=(Organization.Kind.CUSTOMER,))
    start = {"template": "bracket", "parameters": {}, "design": None}
    if request.GET.get("revision"):
        revision = selectors.revision_get_for_member(
            revision_id=parse_id(request.GET["revision"]), user=request.user
        )
        if revision.template and is_member_of(
            user=request.user, organization_ids=[revision.design.organization_id]
        ):
            start = {
                "template": revision.template,
                "parameters": revision.parameters or {},
                "design": revision.design_id,
            }
    return render(
        request,
        "marketplace/part_designer.html",
        {"templates": parts.templates_described(), "start": start},
    )


@login_required
def design_thumbnail(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The picture; each look by another organization is logged, as the 3D view is (the
    owner's own looks write nothing), and a confidential design's carries the reader's name
    and date."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    if not revision.thumbnail:
        return HttpResponse(status=404)
    confidential.design_access_record(
        revision=revision,
        user=request.user,
        kind=DesignDownload.Kind.THUMBNAIL,
        acting_as=acting_organization(request),
    )
    mark = confidential.reader_watermark(
        revision=revision, user=request.user, acting_as=acting_organization(request)
    )
    if mark is None:
        return FileResponse(revision.thumbnail.open("rb"), content_type="image/png")
    with revision.thumbnail.open("rb") as picture:
        marked = watermark_png(picture.read(), mark)
    response = HttpResponse(marked, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def design_preview(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The analysed mesh in mm as binary STL, for the three.js viewer."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    if not revision.preview:
        return HttpResponse(status=404)
    confidential.design_access_record(
        revision=revision,
        user=request.user,
        kind=DesignDownload.Kind.PREVIEW,
        acting_as=acting_organization(request),
    )
    return FileResponse(revision.preview.open("rb"), content_type="model/stl")


@login_required
@require_POST
def design_delete(request: HttpRequest, design_id: int) -> HttpResponse:
    design = selectors.design_get_for_member(design_id=design_id, user=request.user)
    services.design_delete(user=request.user, design=design)
    messages.success(request, f"{design.name} was deleted.")
    return redirect("design_list")


@login_required
@require_POST
def design_report(request: HttpRequest, design_id: int) -> HttpResponse:
    design = selectors.design_get_for_member(design_id=design_id, user=request.user)
    try:
        services.design_report(
            user=request.user,
            design=design,
            kind=request.POST.get("kind", ""),
            details=request.POST.get("details", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you. An operator will look at this design.")
    return redirect("design_detail", design_id=design.pk)


@login_required
@require_POST
def design_report_decide(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(DesignReport, pk=report_id)
    try:
        services.design_report_decide(
            operator=request.user,
            report=report,
            uphold=request.POST.get("decision") == "uphold",
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("/dashboard/#moderation")


@login_required
@require_POST
def design_findings_override(request: HttpRequest, revision_id: int) -> HttpResponse:
    """The customer accepts a revision's error findings with a reason (or withdraws it)."""
    revision = selectors.revision_get_for_member(
        revision_id=revision_id, user=request.user, acting_as=acting_organization(request)
    )
    try:
        services.revision_findings_override(
            user=request.user, revision=revision, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Saved. Everyone who sees this design reads your reason.")
    return redirect("design_detail", design_id=revision.design_id)
