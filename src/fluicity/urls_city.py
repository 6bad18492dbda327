"""City host (<slug>.<BASE_DOMAIN>): citizen portal, staff back-office, city API."""

from django.urls import include, path

from fluicity import views
from fluicity.urls_common import common_patterns
from tenants.api.views import CurrentCityApi

handler404 = "fluicity.views.not_found"
handler500 = "fluicity.views.server_error"

urlpatterns = [
    path("", views.city_home, name="home"),
    # Residents' account pages first; core's login, logout and set-password serve both host kinds.
    path("account/", include("tenant_apps.accounts.urls")),
    path("account/", include("core.account_urls")),
    path("budgets/", include("tenant_apps.budgets.urls")),
    path("consultations/<slug:slug>/surveys/", include("tenant_apps.consultations.urls_surveys")),
    path("consultations/", include("tenant_apps.consultations.urls")),
    path("manage/billing/", include("shared_apps.billing.urls_city")),
    path("manage/budgets/", include("tenant_apps.budgets.urls_manage")),
    path("manage/consultations/moderation/", include("tenant_apps.consultations.urls_moderation")),
    path("manage/consultations/<slug:slug>/surveys/", include("tenant_apps.consultations.urls_surveys_manage")),
    path("manage/consultations/<slug:slug>/exports/", include("tenant_apps.consultations.urls_exports")),
    path("manage/consultations/", include("tenant_apps.consultations.urls_manage")),
    path("manage/", include("tenant_apps.accounts.urls_manage")),
    path("api/v1/accounts/", include("tenant_apps.accounts.urls_api")),
    path("api/v1/budgets/", include("tenant_apps.budgets.urls_api")),
    path("api/v1/consultations/moderation/", include("tenant_apps.consultations.urls_api_moderation")),
    path("api/v1/consultations/<slug:slug>/surveys/", include("tenant_apps.consultations.urls_api_surveys")),
    path("api/v1/consultations/", include("tenant_apps.consultations.urls_api")),
    path("api/v1/city/", CurrentCityApi.as_view(), name="api-city"),
    *common_patterns(urlconf="fluicity.urls_city"),
]
