"""Template context every page needs: the current city (if any), its colours, and the root URL."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _relative_luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_text_color(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG contrast ratio)."""
    lum = _relative_luminance(background)
    contrast_white = 1.05 / (lum + 0.05)
    contrast_black = (lum + 0.05) / 0.05
    return "#ffffff" if contrast_white >= contrast_black else "#000000"


def root_url(request: HttpRequest) -> str:
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{settings.BASE_DOMAIN}{suffix}/"


def site(request: HttpRequest) -> dict[str, Any]:
    city = getattr(request, "city", None)
    brand = city.brand_color if city is not None else "#1d4ed8"
    return {
        "city": city,
        "brand_color": brand,
        "brand_text_color": readable_text_color(brand),
        "root_url": root_url(request),
        "platform_name": "Fluicity",
        "platform_contact_email": settings.PLATFORM_CONTACT_EMAIL,
    }
