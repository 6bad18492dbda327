"""Liveness (/healthz) and readiness (/readyz) probes, answered on any host.

They run before host validation and city routing: a probe sent to a pod's IP address must not be
rejected by ALLOWED_HOSTS, and readiness is a property of the process, not of a city.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse


def check_database() -> str | None:
    """Return None when the database answers, else a short reason."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return _reason(exc)
    return None


def _reason(exc: Exception) -> str:
    # Probes are public: name the failure, but keep host names and DSNs out of it unless DEBUG.
    return f"{type(exc).__name__}: {exc}".strip()[:200] if settings.DEBUG else type(exc).__name__


def check_redis() -> str | None:
    """Return None when Redis (cache and Celery broker) answers PING, else a short reason."""
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return _reason(exc)
    return None


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    checks: dict[str, dict[str, object]] = {}
    for name, check in (("database", check_database), ("redis", check_redis)):
        started = time.perf_counter()
        problem = check()
        checks[name] = {
            "ok": problem is None,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            **({"error": problem} if problem else {}),
        }
    return all(c["ok"] for c in checks.values()), checks


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before anything else looks at the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in ("/healthz", "/healthz/"):
            return JsonResponse({"status": "ok"})
        if request.path in ("/readyz", "/readyz/"):
            ok, checks = readiness()
            return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
        return self.get_response(request)
