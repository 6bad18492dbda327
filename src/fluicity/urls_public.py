"""Root host: public site, sign-up, operators' console, admin and API, platform API."""

from django.contrib import admin
from django.urls import include, path

from fluicity import views
from fluicity.urls_common import common_patterns
from tenants.api.views import CityListApi

handler404 = "fluicity.views.not_found"
handler500 = "fluicity.views.server_error"

admin.site.site_header = "Fluicity operators"
admin.site.site_title = "Fluicity operators"

urlpatterns = [
    path("", views.public_home, name="home"),
    path("admin/", admin.site.urls),
    path("signup/", include("shared_apps.onboarding.urls")),
    path("account/", include("core.account_urls")),
    path("console/billing/", include("shared_apps.billing.urls_operator")),
    path("console/", include("tenants.console.urls")),
    path("api/v1/operator/billing/", include("shared_apps.billing.urls_api")),
    path("api/v1/operator/", include("tenants.api.operator_urls")),
    path("api/v1/cities/", CityListApi.as_view(), name="api-city-list"),
    *common_patterns(urlconf="fluicity.urls_public"),
]
