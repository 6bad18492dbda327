"""The two home pages (root site and city portal) and error pages shared by both host kinds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.api import error_body
from core.registry import tenant_app_hooks
from tenants.models import City


def public_home(request: HttpRequest) -> HttpResponse:
    cities = City.objects.active().order_by("name").only("slug", "name", "country", "brand_color")
    return render(request, "pages/public_home.html", {"cities": cities})


def city_home(request: HttpRequest) -> HttpResponse:
    # Each tenant app may offer ``interface.home_section()``: {"template": ..., "items": [...]} or None.
    sections = [section for _app, hook in tenant_app_hooks("interface", "home_section") if (section := hook())]
    return render(request, "pages/city_home.html", {"sections": sections})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code="not_found", message="Not found."), status=404)
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code="server_error", message="Server error."), status=500)
    return render(request, "core/500.html", status=500)
