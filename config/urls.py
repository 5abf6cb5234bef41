"""Top-level URLs: the site, the admin, the versioned API and the health check."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.healthz import healthz

# The admin signs in through the site's own sign-in (its limits and the second factor), never
# through a password form of its own.
admin.site.login = secure_admin_login(admin.site.login)

handler400 = "config.api.bad_request"
handler404 = "config.api.not_found"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("billing.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("marketplace.urls")),
    path("", include("accounts.urls")),
    path("", include("billing.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
]
