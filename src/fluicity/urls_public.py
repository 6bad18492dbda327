"""Root host: public site, operator admin, platform API."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.auth_api import MeApi, TokenObtainApi
from fluicity import views
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
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/cities/", CityListApi.as_view(), name="api-city-list"),
    path("api/v1/auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("api/v1/me/", MeApi.as_view(), name="api-me"),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="fluicity.urls_public"), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
