"""Web pages of an organization's webhook endpoints: owners and admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.permissions import require_manager
from accounts.selectors import organization_get_for_member
from accounts.webhooks import selectors, services
from accounts.webhooks.forms import WebhookEndpointForm
from accounts.webhooks.models import WebhookEndpoint

SECRET_SESSION_KEY = "webhook_secret_once"
DELIVERIES_PER_PAGE = 25


def _show_secret_once(request: HttpRequest, endpoint: WebhookEndpoint) -> None:
    request.session[SECRET_SESSION_KEY] = {"endpoint": endpoint.pk, "secret": endpoint.secret}


@login_required
def webhook_endpoint_list(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = organization_get_for_member(organization_id=organization_id, user=request.user)
    require_manager(user=request.user, organization=organization)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = services.endpoint_create(
                user=request.user,
                organization=organization,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
        except DomainError as error:
            form.add_error("url" if error.code == "url_refused" else None, error.message)
        else:
            _show_secret_once(request, endpoint)
            messages.success(request, "The endpoint is registered. Copy its secret now.")
            return redirect("webhook_endpoint_detail", endpoint.pk)
    return render(
        request,
        "accounts/webhooks/endpoint_list.html",
        {
            "organization": organization,
            "endpoints": selectors.endpoints_of(organization=organization),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def webhook_endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get_for_manager(endpoint_id=endpoint_id, user=request.user)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "update")
        try:
            if action == "delete":
                organization_id = endpoint.organization_id
                services.endpoint_delete(user=request.user, endpoint=endpoint)
                messages.success(request, "The endpoint is deleted.")
                return redirect("webhook_endpoint_list", organization_id)
            if action == "rotate":
                endpoint = services.endpoint_rotate_secret(user=request.user, endpoint=endpoint)
                _show_secret_once(request, endpoint)
                messages.success(request, "New secret made; the old one still signs for 24 hours.")
                return redirect("webhook_endpoint_detail", endpoint.pk)
            if action == "ping":
                services.endpoint_ping(user=request.user, endpoint=endpoint)
                messages.info(request, "A ping is on its way; its result shows in the log.")
                return redirect("webhook_endpoint_detail", endpoint.pk)
            if form.is_valid():
                services.endpoint_update(user=request.user, endpoint=endpoint, **form.cleaned_data)
                messages.success(request, "The endpoint is saved.")
                return redirect("webhook_endpoint_detail", endpoint.pk)
        except DomainError as error:
            form.add_error(None, error.message)
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    secret = shown["secret"] if shown and shown.get("endpoint") == endpoint.pk else None
    page = Paginator(selectors.deliveries_of(endpoint=endpoint), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/webhooks/endpoint_detail.html",
        {"endpoint": endpoint, "form": form, "secret": secret, "page": page},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def webhook_delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get_for_manager(delivery_id=delivery_id, user=request.user)
    services.delivery_redeliver(user=request.user, delivery=delivery)
    messages.info(request, f"Event {delivery.event_id} is sent again.")
    return redirect("webhook_endpoint_detail", delivery.endpoint_id)
