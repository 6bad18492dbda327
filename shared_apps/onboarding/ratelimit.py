"""Fixed-window counters in the cache (Redis): atomic increments shared by every web process."""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key`` in ``scope``; True while the count stays within ``limit``.

    The first attempt of a window creates the counter with its expiry (``add`` is SET NX EX); the others
    INCR it, which Redis does atomically, so concurrent requests never both get the last slot.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # emails and IPs never stored in clear
    cache_key = f"onboarding:rl:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: a new window starts with this attempt
            cache.add(cache_key, 1, timeout=window_seconds)
            count = 1
    return count <= limit


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address. Behind ``TRUSTED_PROXY_COUNT`` proxies, the address the outermost trusted
    proxy saw (X-Forwarded-For read from the right, so a client cannot forge it)."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
