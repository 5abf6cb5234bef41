"""Web pages of the marketplace: the home page, the dashboard of each role, the network."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Invitation, Organization
from accounts.permissions import require_operator
from accounts.selectors import organization_members
from marketplace.dashboards import selectors
from marketplace.dashboards.forms import OutageForm
from marketplace.designs import selectors as design_selectors
from marketplace.errors import DomainError
from marketplace.network import page_cache
from marketplace.network import selectors as network_selectors
from marketplace.network.services import workshop_take_down
from marketplace.orders.outage_preview import OutagePreview, outage_preview


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "marketplace/home.html", {"summary": page_cache.network_summary()})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One dashboard per kind of organization, each showing that organization's own data."""
    membership = request.membership
    if not membership:
        invitations = [
            invitation
            for invitation in Invitation.objects.filter(
                email__iexact=request.user.email, accepted_at=None
            ).select_related("organization")
            if invitation.is_pending
        ]
        return render(request, "marketplace/dashboard_welcome.html", {"invitations": invitations})

    organization = membership.organization
    context = {
        "organization": organization,
        "membership": membership,
        "members": organization_members(organization=organization),
        "summary": page_cache.network_summary(),
    }
    if organization.kind == Organization.Kind.WORKSHOP:
        workshop = network_selectors.workshop_for_organization(organization=organization)
        context["workshop"] = workshop
        if workshop is not None:
            machines = list(
                network_selectors.machines_of_workshop(workshop=workshop, details=False)
            )
            start, end = network_selectors.next_weeks(4)
            free = network_selectors.machine_free_hours(machines=machines, start=start, end=end)
            for machine in machines:
                machine.free_hours = free[machine.pk]
            context["machines"] = machines
            context["free_hours_total"] = round(sum(free.values()), 1)
            context.update(selectors.workshop_open_jobs(workshop=workshop))
        return render(request, "marketplace/dashboard_workshop.html", context)
    if organization.kind == Organization.Kind.LOGISTICS:
        carrier = getattr(organization, "carrier", None)
        context["carrier"] = carrier
        if carrier is not None:
            context.update(selectors.carrier_open_legs(carrier=carrier))
        return render(request, "marketplace/dashboard_logistics.html", context)
    if organization.kind == Organization.Kind.PLATFORM:
        context.update(selectors.operator_overview())
        return render(request, "marketplace/dashboard_operator.html", context)
    context["designs"] = design_selectors.designs_of_organization(organization=organization)[:8]
    context["orders"] = selectors.customer_recent_orders(organization=organization)
    return render(request, "marketplace/dashboard_customer.html", context)


@login_required
def operator_outage(request: HttpRequest) -> HttpResponse:
    """The outage what-if (GET: nothing changes) and, once previewed, the take-down (POST)."""
    require_operator(user=request.user)
    if request.method == "POST":
        form = OutageForm(request.POST, confirming=True)
        if form.is_valid():
            try:
                machines = workshop_take_down(
                    user=request.user,
                    workshop=form.cleaned_data["workshop"],
                    machine_ids=form.machine_ids(),
                    status=form.cleaned_data["status"],
                    until=form.cleaned_data["until"],
                    note=form.cleaned_data["reason"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    f"{form.cleaned_data['workshop']}: {len(machines)} machine(s) taken down. "
                    "The affected orders are re-planned now; their parties are told.",
                )
                return redirect("operator_outage")
        return render(request, "marketplace/operator_outage.html", _outage_context(form))
    form = OutageForm(request.GET or None)
    preview = None
    if form.is_bound and form.is_valid():
        try:
            preview = outage_preview(
                user=request.user,
                workshop=form.cleaned_data["workshop"],
                machine_ids=form.machine_ids(),
                status=form.cleaned_data["status"],
                until=form.cleaned_data["until"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
    return render(request, "marketplace/operator_outage.html", _outage_context(form, preview))


def _outage_context(form: OutageForm, preview: OutagePreview | None = None) -> dict:
    return {
        "form": form,
        "preview": preview,
        "machines_down": selectors.machines_not_available(),
    }
