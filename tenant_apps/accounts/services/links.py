"""Absolute links to this city (emails are rendered in tasks too, where there is no request)."""

from __future__ import annotations

from django.conf import settings

from tenants.context import current_city


def city_url(path: str) -> str:
    scheme = getattr(settings, "PUBLIC_URL_SCHEME", "https")
    port = getattr(settings, "PUBLIC_URL_PORT", "")
    host = f"{current_city().slug}.{settings.BASE_DOMAIN}"
    return f"{scheme}://{host}{':' + port if port else ''}{path}"


def signing_salt(purpose: str) -> str:
    """Signed tokens carry the city: a link made for one city's user id is worthless in another city."""
    return f"accounts.{purpose}:{current_city().schema_name}"
