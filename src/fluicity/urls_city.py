"""City host (<slug>.<BASE_DOMAIN>): citizen portal, staff back-office, city API."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.auth_api import MeApi, TokenObtainApi
from fluicity import views
from tenants.api.views import CurrentCityApi

handler404 = "fluicity.views.not_found"
handler500 = "fluicity.views.server_error"

urlpatterns = [
    path("", views.city_home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("tenant_apps.accounts.urls")),
    path("account/", include("core.account_urls")),
    path("manage/", include("tenant_apps.accounts.urls_manage")),
    path("api/v1/accounts/", include("tenant_apps.accounts.urls_api")),
    path("manage/billing/", include("shared_apps.billing.urls_city")),
    path("api/v1/city/", CurrentCityApi.as_view(), name="api-city"),
    path("api/v1/auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("api/v1/me/", MeApi.as_view(), name="api-me"),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="fluicity.urls_city"), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
