"""Security headers Django does not set itself (django-csp sets Content-Security-Policy, with
the websockets of the host that served the page added here)."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Switches off the browser features no page uses (camera, microphone, geolocation...), so
    an injected script or a framed page cannot ask for them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


def websocket_sources(request: HttpRequest) -> list[str]:
    """``ws://host`` and ``wss://host`` of the host this request reached (port included), as
    the pages' live.js opens its socket at ``location.host``; none for a host Django refuses.
    Browsers that follow CSP level 2 do not count ws: and wss: as 'self', and SITE_URL may be
    unset or name another host than the one serving the page. Both schemes, since a
    proxy that ends TLS may not tell Django; browsers refuse ws:// from an https page anyway."""
    try:
        host = request.get_host()  # checked against ALLOWED_HOSTS and the host syntax
    except DisallowedHost:
        return []
    return [f"ws://{host}", f"wss://{host}"]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy from the settings, its connect-src opened to the websockets of the
    host serving the page."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        sources = websocket_sources(request)
        if sources and not report_only:
            update = dict(parts.update or {})
            update["connect-src"] = [*(update.get("connect-src") or ()), *sources]
            parts.update = update
        return parts
