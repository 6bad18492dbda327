"""Host -> city resolution, cached in-process.

A hit costs no query and no network round trip. Every process re-validates its cache against a
generation counter kept in Redis at most every ``ROUTING_RECHECK_SECONDS``; any change to a City or a
Domain bumps the counter (and clears the local cache at once in the process that made it). If Redis
cannot be read the cache is dropped, so a stale route never outlives a Redis outage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

GENERATION_KEY = "fluicity:routing:generation"
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Route:
    """What a host resolves to. ``city`` is None for a host that belongs to no city."""

    city: Any  # tenants.models.City; typed loosely to keep this module import-light


class _RouteCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._generation: bytes | str | None = None
        self._checked_at = 0.0
        self._client: redis.Redis | None = None
        self._client_url = ""

    def clear(self) -> None:
        with self._lock:
            self._routes.clear()
            self._checked_at = 0.0

    def _redis(self) -> redis.Redis:
        # One pooled client per process and URL: opening a connection per check or bump cost more than
        # the whole rest of a city's provisioning.
        url = settings.REDIS_URL
        if self._client is None or self._client_url != url:
            self._client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            self._client_url = url
        return self._client

    def _revalidate(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < getattr(settings, "ROUTING_RECHECK_SECONDS", 2.0):
            return
        try:
            generation = self._redis().get(GENERATION_KEY)
        except redis.RedisError:
            logger.warning("routing cache: Redis unreachable, resolving hosts from the database")
            with self._lock:
                self._routes.clear()
                self._generation = None
                self._checked_at = 0.0
            return
        with self._lock:
            if generation != self._generation:
                self._routes.clear()
                self._generation = generation
            self._checked_at = now

    def get(self, host: str) -> Route | None:
        self._revalidate()
        return self._routes.get(host)

    def put(self, host: str, route: Route) -> None:
        with self._lock:
            if len(self._routes) >= MAX_ENTRIES:
                # Random unknown subdomains must not grow the cache without bound.
                self._routes.clear()
            self._routes[host] = route

    def bump(self) -> None:
        self.clear()
        try:
            self._redis().incr(GENERATION_KEY)
        except redis.RedisError:
            logger.warning("routing cache: could not bump the generation; other processes recheck within seconds")


_cache = _RouteCache()


def resolve_host(host: str) -> Route:
    """Return the route for ``host`` (lower-case, no port). Cached; see the module docstring."""
    cached = _cache.get(host)
    if cached is not None:
        return cached
    from tenants.models import Domain

    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    route = Route(city=domain.tenant if domain else None)
    _cache.put(host, route)
    return route


def invalidate() -> None:
    """Forget every cached route here and in every other process (within ROUTING_RECHECK_SECONDS)."""
    _cache.bump()


def _on_change(sender: Any, **kwargs: Any) -> None:
    # Now, so this process stops serving the old route at once; and again after commit, so no
    # process keeps a route it read from the database before the change became visible.
    invalidate()
    transaction.on_commit(invalidate)


def connect_invalidation() -> None:
    # Cache coherence is infrastructure, not a domain side effect: any save of a City or Domain, from
    # a service, the admin or a shell, must reach routing, so a signal is the right tool here.
    from tenants.models import City, Domain

    for model in (City, Domain):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"routing-{model.__name__}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"routing-{model.__name__}-delete")
