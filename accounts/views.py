"""Web pages for organizations, members, invitations and API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import addresses, billing_profiles, services, tokens
from accounts.errors import DomainError
from accounts.forms import (
    AddressForm,
    BillingProfileForm,
    InvitationForm,
    MembershipRoleForm,
    OrganizationForm,
)
from accounts.models import Invitation, Membership, NotificationPreference
from accounts.selectors import (
    ACTIVE_ORGANIZATION_SESSION_KEY,
    is_member_of,
    membership_get,
    organization_get_for_member,
    organization_members,
    organization_pending_invitations,
)


@login_required
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization.pk
            messages.success(request, f"{organization} is ready. You are its owner.")
            return redirect("dashboard")
    return render(request, "accounts/organization_new.html", {"form": form})


@login_required
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    own = membership_get(user=request.user, organization=organization)
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "organization": organization,
            "members": organization_members(organization=organization),
            "invitations": organization_pending_invitations(organization=organization),
            "can_manage": bool(own and own.can_manage),
            "is_owner": bool(own and own.role == Membership.Role.OWNER),
            "invitation_form": InvitationForm(),
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    organization = organization_get_for_member(
        organization_id=request.POST.get("organization", ""), user=request.user
    )
    if not is_member_of(user=request.user, organization_ids=[organization.pk]):
        messages.error(request, "You can only act for organizations you belong to.")
    else:
        request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = organization.pk
        messages.info(request, f"You now act for {organization}.")
    return redirect("dashboard")


@login_required
@require_POST
def invitation_create(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            invitation = services.invitation_create(
                user=request.user, organization=organization, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("organization_detail", organization_id=organization.pk)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    organization = invitation.organization
    try:
        services.invitation_revoke(user=request.user, invitation=invitation)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("organization_detail", organization_id=organization.pk)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        messages.info(request, "Log in or sign up with the invited address to accept.")
        return redirect(f"{reverse('account_login')}?next={request.path}")
    if request.method == "POST":
        try:
            membership = services.invitation_accept(user=request.user, token=token)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("dashboard")
        request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = membership.organization_id
        messages.success(request, f"Welcome to {membership.organization}.")
        return redirect("dashboard")
    invitation = Invitation.objects.filter(token=token).select_related("organization").first()
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@login_required
@require_POST
def membership_update(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("organization"), pk=membership_id
    )
    organization = membership.organization
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(user=request.user, membership=membership)
            messages.success(request, f"{membership.user} no longer belongs to {organization}.")
        else:
            form = MembershipRoleForm(request.POST)
            if form.is_valid():
                services.membership_change_role(
                    user=request.user, membership=membership, role=form.cleaned_data["role"]
                )
                messages.success(request, f"{membership.user} is now {membership.role}.")
    except DomainError as error:
        messages.error(request, error.message)
    if not is_member_of(user=request.user, organization_ids=[organization.pk]):
        return redirect("dashboard")
    return redirect("organization_detail", organization_id=organization.pk)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """API tokens for machines: shown once at creation, stored only as a digest, expiring."""
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        token_id = request.POST.get("token_id", "")
        try:
            if action == "revoke":
                tokens.token_revoke(user=request.user, token_id=token_id)
                messages.success(request, "The token was revoked; clients using it are locked out.")
                return redirect("token_list")
            if action == "renew":
                renewed = tokens.token_renew(user=request.user, token_id=token_id)
                messages.success(request, f"The token now expires on {renewed.expiry:%Y-%m-%d}.")
                return redirect("token_list")
            _instance, new_token = tokens.token_create(user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": tokens.tokens_of(user=request.user),
            "new_token": new_token,
            "ttl_days": settings.API_TOKEN_TTL_DAYS,
        },
    )


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, and which kinds they want by e-mail."""
    preference, _ = NotificationPreference.objects.get_or_create(user=request.user)
    if request.method == "POST":
        if request.POST.get("action") == "read-all":
            request.user.notifications.filter(read_at=None).update(read_at=timezone.now())
        else:
            preference.email_enabled = bool(request.POST.get("email_enabled"))
            preference.muted_kinds = [
                k for k in request.POST.getlist("muted") if k in NOTIFICATION_KINDS
            ]
            preference.save(update_fields=["email_enabled", "muted_kinds"])
            messages.success(request, "Your e-mail preferences are saved.")
        return redirect("notification_list")
    notifications = list(request.user.notifications.all()[:100])
    return render(
        request,
        "accounts/notifications.html",
        {
            "notifications": notifications,
            "preference": preference,
            "kinds": NOTIFICATION_KINDS.items(),
        },
    )


NOTIFICATION_KINDS = {
    "order": "Orders: placed, paid, shipped, delivered, completed, re-planned",
    "job": "Jobs offered to your workshop",
    "order.message": "Messages on orders",
}


@login_required
def address_book(request: HttpRequest) -> HttpResponse:
    """The active organization's addresses: add one (located from its city), or remove one."""
    if not request.membership:
        messages.error(request, "Join or create an organization first.")
        return redirect("dashboard")
    organization = request.membership.organization
    form = AddressForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            addresses.address_delete(user=request.user, address_id=request.POST.get("address", ""))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The address was removed from the book.")
        return redirect("address_book")
    if request.method == "POST" and form.is_valid():
        try:
            address = addresses.address_create(
                user=request.user, organization=organization, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Saved; located at {address.located_as}.")
            target = request.POST.get("next", "")
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            return redirect("address_book")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/address_book.html",
        {
            "organization": organization,
            "addresses": addresses.addresses_of(organization=organization),
            "form": form,
        },
        status=status,
    )


@login_required
def billing_profile(request: HttpRequest) -> HttpResponse:
    """The active organization's billing profile, for its owners and admins: what invoices
    name, and what orders placed without checkout are taxed by."""
    if not request.membership:
        messages.error(request, "Join or create an organization first.")
        return redirect("dashboard")
    organization = request.membership.organization
    profile = billing_profiles.billing_profile_get_for_manager(
        user=request.user, organization=organization
    )
    initial = (
        {
            name: getattr(profile, name)
            for name in ("legal_name", "street", "postcode", "city", "country", "vat_id")
        }
        if profile
        else {"legal_name": organization.name}
    )
    form = BillingProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            billing_profiles.billing_profile_set(
                user=request.user, organization=organization, **form.cleaned_data
            )
        except billing_profiles.BillingProfileInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Billing profile saved. New orders are invoiced to it.")
            return redirect("billing_profile")
    return render(
        request,
        "accounts/billing_profile.html",
        {"organization": organization, "profile": profile, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def operator_audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log of operator actions, newest first, filtered and paginated."""
    from urllib.parse import urlencode

    from accounts.audit import action_names, operator_actions_page
    from accounts.permissions import require_operator

    require_operator(user=request.user)
    filters = {
        name: request.GET.get(name, "").strip()[:100]
        for name in ("action", "actor", "target_type", "target_id")
    }
    page = operator_actions_page(page=request.GET.get("page"), **filters)
    query = urlencode({name: value for name, value in filters.items() if value})
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "filters": filters, "actions": action_names(), "query": query},
    )
