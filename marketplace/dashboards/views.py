"""Web pages of the marketplace: the home page, the dashboard of each role, the network."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Invitation, Organization
from accounts.selectors import organization_members
from marketplace.dashboards import selectors
from marketplace.designs import selectors as design_selectors
from marketplace.network import selectors as network_selectors


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(
        request, "marketplace/home.html", {"summary": network_selectors.network_summary()}
    )


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
        "summary": network_selectors.network_summary(),
    }
    if organization.kind == Organization.Kind.WORKSHOP:
        workshop = network_selectors.workshop_for_organization(organization=organization)
        context["workshop"] = workshop
        if workshop is not None:
            machines = list(network_selectors.machines_of_workshop(workshop=workshop))
            start, end = network_selectors.next_weeks(4)
            free = network_selectors.machine_free_hours(machines=machines, start=start, end=end)
            for machine in machines:
                machine.free_hours = free[machine.pk]
            context["machines"] = machines
            context["free_hours_total"] = round(sum(free.values()), 1)
        return render(request, "marketplace/dashboard_workshop.html", context)
    if organization.kind == Organization.Kind.LOGISTICS:
        context["carrier"] = getattr(organization, "carrier", None)
        return render(request, "marketplace/dashboard_logistics.html", context)
    if organization.kind == Organization.Kind.PLATFORM:
        context.update(selectors.operator_overview())
        return render(request, "marketplace/dashboard_operator.html", context)
    context["designs"] = design_selectors.designs_of_organization(organization=organization)[:8]
    return render(request, "marketplace/dashboard_customer.html", context)
