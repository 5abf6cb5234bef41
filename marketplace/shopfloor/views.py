"""The live machine view (workshops: their machines; operators: every machine) and device keys."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.permissions import require_kind
from accounts.selectors import is_operator
from marketplace.errors import DomainError, NotFound
from marketplace.network.models import Machine, Workshop
from marketplace.network.selectors import machine_get_for_member, workshop_for_organization
from marketplace.shopfloor import selectors, services

REFRESH_S = 5  # seconds between two refreshes of the machine table


class DeviceKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. the agent's computer: 'Hall 2 Pi'.")


class FeedSettingsForm(forms.Form):
    silent_after_s = forms.IntegerField(min_value=30, max_value=7 * 24 * 3600)
    down_when_silent = forms.BooleanField(required=False)


def _scope(request: HttpRequest) -> tuple[Workshop | None, bool]:
    """The workshop whose floor is shown, and whether the viewer is an operator."""
    if is_operator(user=request.user):
        workshop_id = request.GET.get("workshop", "")
        workshop = (
            Workshop.objects.filter(pk=workshop_id).first() if workshop_id.isdigit() else None
        )
        return workshop, True
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.WORKSHOP,))
    workshop = workshop_for_organization(organization=organization)
    if workshop is None:
        raise NotFound("Describe your workshop first; then its machines can report.")
    return workshop, False


@login_required
def shopfloor_live(request: HttpRequest, *, secret: dict | None = None, form=None) -> HttpResponse:
    workshop, operator = _scope(request)
    machines = Machine.objects.all() if workshop is None else workshop.machines.all()
    context = {
        "workshop": workshop,
        "operator": operator,
        "rows": selectors.machines_now(machines=machines),
        "refresh_s": REFRESH_S,
    }
    if request.headers.get("HX-Request"):
        return render(request, "marketplace/shopfloor/_machines.html", context)
    if not operator:
        context |= {
            "keys": selectors.device_keys_of(workshop=workshop),
            "key_form": form or DeviceKeyForm(),
            "secret": secret,
            "topic_root": f"cf/{workshop.organization.slug}",
        }
    else:
        context["workshops"] = Workshop.objects.select_related("organization")
    return render(request, "marketplace/shopfloor/live.html", context)


@login_required
@require_POST
def device_key_new(request: HttpRequest) -> HttpResponse:
    workshop, operator = _scope(request)
    form = DeviceKeyForm(request.POST)
    if operator or workshop is None or not form.is_valid():
        return shopfloor_live(request, form=form)
    try:
        key, secret = services.device_key_create(
            user=request.user, workshop=workshop, name=form.cleaned_data["name"]
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return shopfloor_live(request, form=form)
    # Rendered, not redirected: the secret is shown once and never stored anywhere.
    return shopfloor_live(request, secret={"key_id": key.key_id, "secret": secret})


@login_required
@require_POST
def device_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = selectors.device_key_get_for_member(key_id=key_id, user=request.user)
    try:
        services.device_key_revoke(user=request.user, key=key)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Key {key.key_id} is revoked: its events are refused now.")
    return redirect("shopfloor_live")


@login_required
@require_POST
def machine_feed_settings(request: HttpRequest, machine_id: int) -> HttpResponse:
    machine = machine_get_for_member(machine_id=machine_id, user=request.user)
    form = FeedSettingsForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Nothing changed for {machine.name}: {errors}")
        return redirect("shopfloor_live")
    try:
        services.machine_feed_configure(user=request.user, machine=machine, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Silence settings of {machine.name} saved.")
    return redirect("shopfloor_live")
