"""Web pages of exports: ask for one, watch it build, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import organization_get_for_member
from marketplace.errors import DomainError
from marketplace.exports import services


@login_required
def export_list(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    exports = services.exports_of(user=request.user, organization=organization)[:10]
    template = (
        "marketplace/exports/_export_rows.html"
        if request.headers.get("HX-Request")
        else "marketplace/exports/export_list.html"
    )
    return render(
        request,
        template,
        {
            "organization": organization,
            "exports": exports,
            "building": any(export.is_active for export in exports),
        },
    )


@login_required
@require_POST
def export_start(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    try:
        services.export_request(user=request.user, organization=organization)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Export requested. This page shows its progress, then the download link."
        )
    return redirect("export_list", organization_id=organization.pk)


@login_required
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        export = services.export_file_for_download(user=request.user, export_id=export_id)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return render(
            request,
            "marketplace/exports/export_gone.html",
            {"message": error.message},
            status=error.status_code,
        )
    name = export.file.name.rsplit("/", 1)[-1]
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )


@login_required
def organization_close(request: HttpRequest, organization_id: int) -> HttpResponse:
    """What closing erases and keeps, what still stands in the way (GET); the closure (POST)."""
    from marketplace.exports.closure import closure_check
    from marketplace.exports.closure import organization_close as close

    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    error = ""
    if request.method == "POST":
        try:
            close(
                user=request.user,
                organization=organization,
                confirm_name=request.POST.get("confirm_name", ""),
            )
        except DomainError as refusal:
            error = refusal.message
        else:
            from django.contrib.auth import logout

            still_active = request.user.is_active
            request.user.refresh_from_db()
            if not request.user.is_active and still_active:
                logout(request)
            messages.success(request, f"{organization.name} is closed.")
            return redirect("home")
    return render(
        request,
        "marketplace/exports/organization_close.html",
        {
            "organization": organization,
            "reasons": closure_check(organization=organization).reasons,
            "error": error,
        },
        status=400 if error else 200,
    )
