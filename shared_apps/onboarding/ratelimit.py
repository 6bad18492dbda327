"""Fixed-window counters in the cache (Redis): atomic increments shared by every web process."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


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
