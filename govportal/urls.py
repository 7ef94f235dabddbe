from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from govportal import health, views
from govportal.tiers import views as tier_views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/", tier_views.unit_search, name="unit-search"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Staff log in through allauth (password + TOTP), never through the admin's own form.
    path("admin/login/", RedirectView.as_view(url="/accounts/login/?next=/admin/", query_string=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("identity.urls")),
    path("", include("identity.urls_notifications")),
    path("", include("procedures.urls_catalogue")),
    path("", include("procedures.urls_citizen")),
    path("", include("procedures.urls_workbench")),
    path("", include("procedures.urls_overview")),
    path("", include("feedback.urls_citizen")),
    path("", include("feedback.urls_workbench")),
    path("", include("feedback.urls_public")),
    path("open311/v2/", include("feedback.open311.urls")),
    path("", include("payments.urls")),
    path("dashboard/", include("govportal.dashboard.urls")),
    path("scorecard/", include("govportal.dashboard.urls_public")),
    path("api/v1/", include("govportal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The init script as its own request and no inline style: the Content-Security-Policy allows nothing inline.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
]

if settings.PAYGOV_SIM_ENABLED:
    # The PayGov simulator (a bank's pages for demos and tests); off in production.
    urlpatterns.append(path("paygov-sim/", include("payments.paygov_sim.urls")))

if settings.MOCK_EID_ENABLED:
    # The mock VNeID (a real OIDC provider for demos and tests); off in production.
    urlpatterns.append(path("mock-eid/", include("identity.mock_eid.urls")))

handler400 = "govportal.views.bad_request"
handler403 = "govportal.views.permission_denied"
handler404 = "govportal.views.page_not_found"
handler500 = "govportal.views.server_error"
