"""Routes each request to the public site, a city, or a proper error page, by its Host header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.template.response import TemplateResponse
from django.urls import set_urlconf
from django.utils import translation

from tenants.db import connection
from tenants.models import CityStatus
from tenants.routing import resolve_host


def request_host(request: HttpRequest) -> str:
    raw = request.META.get("HTTP_X_FORWARDED_HOST") if settings.USE_X_FORWARDED_HOST else None
    raw = raw or request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    host, _port = split_domain_port(raw.split(",")[0].strip().lower())
    return host.rstrip(".")


class CityRoutingMiddleware:
    """The one gate on Host headers.

    Root host -> public URLconf; a known city host -> that city's schema and URLconf; a suspended
    city -> its "temporarily unavailable" page; anything else -> a 404 page. Because only known hosts
    get through, ALLOWED_HOSTS can admit custom domains without opening host-header poisoning.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always start from public: a previous request on this thread may have left a city's path.
        connection.set_schema_to_public()
        host = request_host(request)
        request.city = None  # type: ignore[attr-defined]
        if host == settings.BASE_DOMAIN or host in settings.ROOT_HOST_ALIASES:
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            return self.get_response(request)

        route = resolve_host(host) if host else None
        city = route.city if route else None
        if city is None or city.status == CityStatus.ARCHIVED:
            return self._page(request, "tenants/unknown_host.html", status=404, host=host)
        if city.status == CityStatus.SUSPENDED:
            response = self._page(request, "tenants/suspended.html", status=503, host=host, city=city)
            response["Retry-After"] = "3600"
            return response

        request.tenant = city  # type: ignore[attr-defined]
        request.city = city  # type: ignore[attr-defined]
        connection.set_tenant(city)
        request.urlconf = settings.ROOT_URLCONF  # type: ignore[attr-defined]
        set_urlconf(settings.ROOT_URLCONF)
        return self.get_response(request)

    @staticmethod
    def _page(request: HttpRequest, template: str, *, status: int, **context: object) -> HttpResponse:
        set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
        # Locale middleware has not run yet: speak the visitor's language on these pages too.
        translation.activate(translation.get_language_from_request(request))
        root_port = request.get_port()
        port = "" if root_port in ("80", "443") else f":{root_port}"
        context["root_url"] = f"{request.scheme}://{settings.BASE_DOMAIN}{port}/"
        response = TemplateResponse(request, template, context, status=status)
        response.render()
        return response
