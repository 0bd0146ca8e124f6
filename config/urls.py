from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from careboard.core import app_shell, health, metrics
from careboard.core.api_fallback import api_not_found
from careboard.organizations import views as org_pages

urlpatterns = [
    path("", app_shell.app, name="home"),
    # The Vue app's pages (history routing): every section loads the same shell.
    re_path(rf"^(?P<path>(?:{'|'.join(app_shell.APP_SECTIONS)})(?:/.*)?)$", app_shell.app),
    path("portal/", app_shell.portal, name="portal"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("invite/<str:token>/", org_pages.invitation_page, name="invitation"),
    path("handouts/", include("careboard.builder.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ path is a problem-details 404, never Django's HTML page.
    re_path(r"^api/(?P<path>.*)$", api_not_found),
]

handler400 = "careboard.core.errors.bad_request"
handler403 = "careboard.core.errors.permission_denied"
handler404 = "careboard.core.errors.page_not_found"
handler500 = "careboard.core.errors.server_error"
