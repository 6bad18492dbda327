"""URL patterns every host kind serves: language switch and the OpenAPI schema + docs of its own API."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.auth_api import MeApi, TokenObtainApi


def common_patterns(*, urlconf: str) -> list[URLPattern | URLResolver]:
    """``urlconf`` is the module these patterns end up in: the schema describes that host's API only."""
    return [
        path("i18n/", include("django.conf.urls.i18n")),
        path("api/v1/auth/token/", TokenObtainApi.as_view(), name="api-token"),
        path("api/v1/me/", MeApi.as_view(), name="api-me"),
        path("api/schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    ]
